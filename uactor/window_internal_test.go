package uactor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
)

// eachCall reads frames from srv until a read fails, calling f with each
// CALL's id and request size, in order; done is closed once it stops.
func eachCall(srv net.Conn, f func(id uint64, n int)) (done <-chan struct{}) {
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		r := frame.NewReader(srv, 0)
		for {
			h, buf, err := r.ReadFrame()
			if err != nil {
				return
			}
			if h.Type == frame.TypeCall {
				f(h.ID, len(buf.B))
			}
			buf.Release()
		}
	}()
	return stopped
}

// windowActor is the far end of a connection whose actor announced a
// window: it reports each CALL's id and request size on calls, and answers
// the ids sent on answer.
func windowActor(t *testing.T, srv net.Conn) (calls chan [2]uint64, answer chan uint64) {
	calls, answer = make(chan [2]uint64, 16), make(chan uint64)
	done := eachCall(srv, func(id uint64, n int) { calls <- [2]uint64{id, uint64(n)} })
	go func() {
		w := frame.NewWriter(srv, 0)
		for id := range answer {
			w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: id}, nil)
		}
	}()
	t.Cleanup(func() { close(answer); srv.Close(); <-done })
	return calls, answer
}

// A caller sends a call only while the requests of its unfinished calls,
// counted as the actor counts them, are under the window the actor
// announced (as the actor reads one only while what it holds is under its
// bound, whatever the call's size), and every way a call ends gives its
// bytes back: answered, abandoned and answered later, abandoned when the
// connection breaks.
func TestCallerKeepsWithinWindow(t *testing.T) {
	const size = 1000
	cl, srv := conntest.Unix(t)
	c := newClientConn(cl, address{network: "unix", addr: "pair"}, &handshake.Session{Window: size}, defaultOptions(), true)
	calls, answer := windowActor(t, srv)
	used := func() int64 {
		used, _, _ := windowCounts(c.window)
		return used
	}
	full := func(what string) {
		t.Helper()
		waitLocked(t, &c.mu, what, func() bool { return owedCalls(c) == 0 })
		if n := used(); n != 0 {
			t.Fatalf("%s: %d bytes of the window still taken", what, n)
		}
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

	// Answered: two calls under the window go at once, though together
	// they are over it; while they are in flight, a third waits, unsent.
	first := call(ctx, 600)
	got := recvWithin(t, calls, 10*time.Second, "the first call")
	if want := uint64(len(callPrefix("m")) + 600); got[1] != want || used() != int64(want) {
		t.Fatalf("the actor counts %d bytes of request, the caller %d; want %d", got[1], used(), want)
	}
	other := call(ctx, 600)
	got2 := recvWithin(t, calls, 10*time.Second, "the second call, with the window not yet full")
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if r := <-call(short, 200); !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("a call past the window: %v; want it to wait, and give up at its deadline", r.err)
	}
	third := call(ctx, 200)
	select {
	case got := <-calls:
		t.Fatalf("call %d was sent while the window was full", got[0])
	case <-time.After(50 * time.Millisecond):
	}
	answer <- got[0]
	if r := recvWithin(t, first, 10*time.Second, "the first answer"); r.err != nil {
		t.Fatal(r.err)
	}
	got = recvWithin(t, calls, 10*time.Second, "the third call, once the window was under again")
	answer <- got[0]
	answer <- got2[0]
	for _, ch := range []<-chan result{third, other} {
		if r := recvWithin(t, ch, 10*time.Second, "an answer"); r.err != nil {
			t.Fatal(r.err)
		}
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
	if used() == 0 {
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

// The window lets callers in in turn, each once the bytes outstanding are
// under it, and one that gives up while it waits takes nothing and holds
// up nobody behind it.
func TestRequestWindowTurns(t *testing.T) {
	w := newRequestWindow(100)
	ctx := context.Background()
	if waited, alone, err := w.take(ctx, 250); waited || !alone || err != nil {
		t.Fatalf("the first take, over the window, the window empty: waited %v, alone %v, %v; want it to go alone at once", waited, alone, err)
	}
	w.sent(true)
	gaveUp, cancel := context.WithCancel(ctx)
	type result struct {
		waited bool
		err    error
	}
	takes := func(ctx context.Context, n int64) <-chan result {
		ch := make(chan result, 1)
		go func() {
			waited, alone, err := w.take(ctx, n)
			if err == nil {
				w.sent(alone)
			}
			ch <- result{waited, err}
		}()
		return ch
	}
	a := takes(gaveUp, 10)
	waitWindow(t, w, 1)
	b := takes(ctx, 20)
	waitWindow(t, w, 2)
	cancel()
	if r := recvWithin(t, a, 10*time.Second, "the take that gave up"); !r.waited || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("a take whose context ended while it waited: %+v", r)
	}
	select {
	case r := <-b:
		t.Fatalf("a take went in with the window over: %+v", r)
	case <-time.After(20 * time.Millisecond):
	}
	w.give(200) // 50 left: under the window
	if r := recvWithin(t, b, 10*time.Second, "the take behind it"); !r.waited || r.err != nil {
		t.Fatalf("the take behind one that gave up: %+v", r)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if used, _, _ := windowCounts(w); used != 70 || len(w.waiting) != 0 {
		t.Fatalf("after: %d bytes taken, %d waiting; want 70 and none", used, len(w.waiting))
	}
}

// windowCounts decodes w's state: the request bytes let in, the calls let
// in sharing and not yet sent, and whether one let in alone is not yet sent.
func windowCounts(w *requestWindow) (used int64, unsent int, alone bool) {
	v := w.state.Load()
	return int64(v & winUsed), int(v & winUnsent >> winUsedBits), v&winAlone != 0
}

// waitWindow waits until n takes wait in w.
func waitWindow(t *testing.T, w *requestWindow, n int) {
	t.Helper()
	waitLocked(t, &w.mu, fmt.Sprintf("%d takes waiting", n), func() bool { return len(w.waiting) == n })
}

// Many callers taking and giving back random sizes, a third of them giving
// up at random while they wait: none waits for ever, and the window ends
// empty, with nobody waiting.
func TestRequestWindowUnderContention(t *testing.T) {
	w := newRequestWindow(1000)
	deadline, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan struct{})
	for g := range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 500 {
				n := int64(1 + (g*7919+i*104729)%1500)
				ctx, stop := deadline, context.CancelFunc(func() {})
				if i%3 == 0 {
					ctx, stop = context.WithTimeout(deadline, time.Duration(i%5)*time.Microsecond)
				}
				_, alone, err := w.take(ctx, n)
				stop()
				if err != nil {
					continue
				}
				if i%2 == 0 {
					time.Sleep(time.Microsecond)
				}
				w.sent(alone)
				w.give(n)
			}
		}()
	}
	for range 16 {
		select {
		case <-done:
		case <-deadline.Done():
			t.Fatal("callers still waiting for the window")
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	used, unsent, alone := windowCounts(w)
	if used != 0 || len(w.waiting) != 0 || unsent != 0 || alone || w.state.Load()&winWaiting != 0 {
		t.Fatalf("after: %d bytes taken, %d waiting (flag %v), %d unsent, alone %v; want none",
			used, len(w.waiting), w.state.Load()&winWaiting != 0, unsent, alone)
	}
}

// boundActor answers calls after a random moment, counting, as serverConn
// does, the request bytes of calls read and not yet answered (freed before
// the answer), and reports each CALL read while those bytes are at or over
// size: one that a real actor would leave unread.
func boundActor(t *testing.T, srv net.Conn, size int) (violations func() []string) {
	var mu sync.Mutex
	held, total := map[uint64]int{}, 0
	var bad []string
	var wmu sync.Mutex
	w := frame.NewWriter(srv, 0)
	var answering sync.WaitGroup
	done := eachCall(srv, func(id uint64, n int) {
		mu.Lock()
		if total >= size && len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("CALL %d (%d bytes) read while %d bytes of %d calls were held (bound %d)", id, n, total, len(held), size))
		}
		held[id] = n
		total += n
		mu.Unlock()
		answering.Add(1)
		go func() {
			defer answering.Done()
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			mu.Lock()
			total -= held[id]
			delete(held, id)
			mu.Unlock()
			wmu.Lock()
			w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: id}, nil)
			wmu.Unlock()
		}()
	})
	t.Cleanup(func() { srv.Close(); <-done; answering.Wait() })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bad...)
	}
}

// Calls let into the window reach the wire in any order, so none may put
// the actor past its bound in front of another: sixteen callers with mixed
// sizes never send a CALL that the actor would leave unread. Before, a
// small call let in first and written last found the actor over its bound
// behind larger calls let in after it, and a CANCEL behind it was stuck.
func TestCallNeverPastActorBound(t *testing.T) {
	const size = 1000
	cl, srv := conntest.Unix(t)
	c := newClientConn(cl, address{network: "unix", addr: "pair"}, &handshake.Session{Window: size}, defaultOptions(), true)
	t.Cleanup(func() { c.close(net.ErrClosed) })
	violations := boundActor(t, srv, size)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				if ctx.Err() != nil || len(violations()) > 0 {
					return
				}
				buf, err := c.roundTrip(ctx, "m", callPrefix("m"), make([]byte, (g*7919+i*104729)%600))
				if err != nil {
					t.Errorf("call: %v", err)
					return
				}
				buf.Release()
			}
		}()
	}
	wg.Wait()
	if v := violations(); len(v) > 0 {
		t.Fatalf("the caller sent CALLs past the actor's bound:\n%s", strings.Join(v, "\n"))
	}
}

// The count of calls let in and not yet sent has a largest value: at it, a
// call that would share waits, and goes in once one of them is sent.
func TestRequestWindowUnsentAtItsLargest(t *testing.T) {
	w := newRequestWindow(1000)
	w.state.Store(winUnsent) // as many unsent as it counts, no bytes
	ch := make(chan error, 1)
	go func() {
		_, alone, err := w.take(context.Background(), 10)
		if err == nil && alone {
			err = errors.New("let in alone beside unsent calls")
		}
		ch <- err
	}()
	waitWindow(t, w, 1)
	w.sent(false)
	if err := recvWithin(t, ch, 10*time.Second, "the take once one call was sent"); err != nil {
		t.Fatal(err)
	}
	if used, unsent, alone := windowCounts(w); used != 10 || unsent != int(winUnsent>>winUsedBits) || alone {
		t.Fatalf("after: %d bytes taken, %d unsent, alone %v; want 10, %d, false", used, unsent, alone, winUnsent>>winUsedBits)
	}
}

// owedCalls counts the abandoned calls on c that hold window bytes until
// their answers come.
func owedCalls(c *clientConn) int {
	n := 0
	for s := range c.pending.all() {
		if s.cl == abandoned && s.win > 0 {
			n++
		}
	}
	return n
}
