package uactor

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
)

// windowActor is the far end of a connection whose actor announced a
// window: it reports each CALL's id and request size on calls, and answers
// the ids sent on answer.
func windowActor(t *testing.T, srv net.Conn) (calls chan [2]uint64, answer chan uint64) {
	calls, answer = make(chan [2]uint64, 16), make(chan uint64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := frame.NewReader(srv, 0)
		for {
			h, buf, err := r.ReadFrame()
			if err != nil {
				return
			}
			if h.Type == frame.TypeCall {
				calls <- [2]uint64{h.ID, uint64(len(buf.B))}
			}
			buf.Release()
		}
	}()
	go func() {
		w := frame.NewWriter(srv, 0)
		for id := range answer {
			w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: id}, nil)
		}
	}()
	t.Cleanup(func() { close(answer); srv.Close(); <-done })
	return calls, answer
}

// A caller keeps the requests of its unfinished calls within the window
// the actor announced, counting them as the actor does, and every way a
// call ends gives its bytes back: answered, abandoned and answered later,
// abandoned when the connection breaks. A request larger than the window
// takes all of it.
func TestCallerKeepsWithinWindow(t *testing.T) {
	const size = 1000
	cl, srv := conntest.Unix(t)
	c := newClientConn(cl, address{network: "unix", addr: "pair"}, &handshake.Session{Window: size}, defaultOptions(), true)
	calls, answer := windowActor(t, srv)
	full := func(what string) {
		t.Helper()
		waitLocked(t, c, what, func() bool { return len(c.owed) == 0 })
		if !c.window.TryAcquire(size) {
			t.Fatalf("%s: the window is not whole again", what)
		}
		c.window.Release(size)
	}
	type result struct {
		buf *frame.Buffer
		err error
	}
	call := func(ctx context.Context, n int) <-chan result {
		ch := make(chan result, 1)
		go func() {
			buf, err := c.roundTrip(ctx, "m", callPrefix("m"), make([]byte, n))
			if err == nil {
				buf.Release()
			}
			ch <- result{buf, err}
		}()
		return ch
	}
	ctx := context.Background()

	// Answered: while it is in flight, a call that would not fit waits
	// for it, unsent.
	first := call(ctx, 900)
	got := recvWithin(t, calls, 10*time.Second, "the first call")
	if want := uint64(len(callPrefix("m")) + 900); got[1] != want {
		t.Fatalf("the actor counts %d bytes of request; want %d", got[1], want)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if r := <-call(short, 200); !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("a call past the window: %v; want it to wait, and give up at its deadline", r.err)
	}
	second := call(ctx, 200)
	select {
	case got := <-calls:
		t.Fatalf("call %d was sent while the window was full", got[0])
	case <-time.After(50 * time.Millisecond):
	}
	answer <- got[0]
	if r := recvWithin(t, first, 10*time.Second, "the first answer"); r.err != nil {
		t.Fatal(r.err)
	}
	got = recvWithin(t, calls, 10*time.Second, "the second call, once the first was answered")
	answer <- got[0]
	if r := recvWithin(t, second, 10*time.Second, "the second answer"); r.err != nil {
		t.Fatal(r.err)
	}
	full("after answered calls")

	// Abandoned, answered later; and a request larger than the window.
	actx, acancel := context.WithCancel(ctx)
	gaveUp := call(actx, 5000)
	got = recvWithin(t, calls, 10*time.Second, "the large call")
	acancel()
	if r := recvWithin(t, gaveUp, 10*time.Second, "the abandoned call's end"); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the abandoned call: %v", r.err)
	}
	if c.window.TryAcquire(1) {
		t.Fatal("an abandoned call gave its window back before its answer came")
	}
	answer <- got[0]
	full("after an abandoned call was answered")

	// Abandoned, then the connection breaks.
	actx, acancel = context.WithCancel(ctx)
	gaveUp = call(actx, 300)
	recvWithin(t, calls, 10*time.Second, "the call abandoned at the break")
	acancel()
	<-gaveUp
	c.close(net.ErrClosed)
	full("after the connection broke")
}

// recvWithin returns the next value from ch, failing the test with what if
// none comes within d.
func recvWithin[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("no %s within %v", what, d)
		panic("unreachable")
	}
}
