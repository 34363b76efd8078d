package uactor

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

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
	c.mu.Lock()
	id := c.pending.add(cl)
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

// The read role never goes to a caller still writing its request: while
// it writes nobody would read, and an actor that stops reading until its
// answers are taken (at its ConnBuffer bound) would then never take the
// rest of that request. Here the reading caller gives up while another
// writes 8 MiB to an actor that answers in order; before, the writer was
// handed the role and both ends waited until the write timeout.
func TestReadRoleSkipsCallerStillWriting(t *testing.T) {
	cl, srv := conntest.Unix(t)
	c := newClientConn(cl, address{network: "unix", addr: "pair"}, &handshake.Session{}, defaultOptions(), true)
	t.Cleanup(func() { c.close(net.ErrClosed) })

	const big = 8 << 20
	release, quit := make(chan struct{}), make(chan struct{})
	actorDone := make(chan struct{})
	go func() { // the actor: reads a call, answers it, then reads the next
		defer close(actorDone)
		r := frame.NewReader(srv, 16<<20)
		w := frame.NewWriter(srv, 16<<20)
		first := true
		for {
			h, buf, err := r.ReadFrame()
			if err != nil {
				return
			}
			buf.Release()
			if h.Type != frame.TypeCall {
				continue
			}
			reply := []byte("ok")
			if first {
				first = false
				select {
				case <-release:
				case <-quit:
					return
				}
				reply = make([]byte, big)
			}
			if w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: h.ID}, reply) != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { close(quit); srv.Close(); <-actorDone })

	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	errA := make(chan error, 1)
	go func() {
		_, err := c.roundTrip(ctxA, "a", callPrefix("a"), nil)
		errA <- err
	}()
	waitLocked(t, &c.mu, "A to read", func() bool { return c.reader != nil && c.reader != watcher && c.pending.len() == 1 })

	errB := make(chan error, 1)
	go func() {
		buf, err := c.roundTrip(context.Background(), "b", callPrefix("b"), bytes.Repeat([]byte{1}, big))
		if err == nil {
			buf.Release()
		}
		errB <- err
	}()
	waitLocked(t, &c.mu, "B to write", func() bool { return c.pending.len() == 2 && c.w.Buffered() > 0 })

	cancelA() // the read role leaves A while B still writes
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Fatalf("A: %v; want context.Canceled", err)
	}
	close(release)
	select {
	case err := <-errB:
		if err != nil {
			t.Fatalf("B failed against a live actor: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("B still waiting after 30 s")
	}
}

// waitLocked polls cond, with mu held, for up to 10 s.
func waitLocked(t *testing.T, mu sync.Locker, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
