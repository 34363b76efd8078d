package uactor

import (
	"context"
	"net"
	"testing"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
)

// TestAwaitLeavesNoSignal checks that a call answered before its caller
// began to wait (another caller, reading, delivered it first) leaves await
// with nothing outstanding on its done channel: calls are pooled, and a
// signal left behind would wake the call's next use for nothing, or let a
// hand-off of the read role pass it over.
func TestAwaitLeavesNoSignal(t *testing.T) {
	a, _ := conntest.Unix(t)
	c := newClientConn(a, address{network: "unix", addr: "pair"}, &handshake.Session{}, defaultOptions(), true)
	t.Cleanup(func() { c.close(net.ErrClosed) })

	cl := callPool.Get().(*call)
	const id = 1
	c.mu.Lock()
	c.pending[id] = cl
	c.mu.Unlock()
	buf := frame.GetBuffer(4)
	if c.deliver(frame.Header{Type: frame.TypeReply, ID: id}, buf, watcher) {
		t.Fatal("deliver says the reply was the reader's own")
	}
	if err := c.await(context.Background(), id, cl); err != nil {
		t.Fatalf("await: %v", err)
	}
	if !cl.answered || cl.buf != buf {
		t.Fatalf("call not answered with its reply: answered %v", cl.answered)
	}
	if cl.signaled || len(cl.done) != 0 {
		t.Errorf("after await: signaled %v, %d signal(s) left on done; want none", cl.signaled, len(cl.done))
	}
	cl.buf.Release()
}
