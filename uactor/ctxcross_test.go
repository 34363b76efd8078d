package uactor_test

// How a call's context crosses processes, end to end: deadlines and cancels
// reach the handler, and on to the calls it makes, each telling its ending
// as it is; abandoned calls leave nothing behind in the actor.

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// CtxWatch reports how its handlers' contexts ended.
type CtxWatch struct {
	ended chan string // how each Wait's context ended, in order
	runs  atomic.Int64
}

// ctxEnding names how a context ended, as a handler sees it.
func ctxEnding(err error) string {
	switch {
	case err == nil:
		return "not ended"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other: " + err.Error()
}

// Wait waits for its context to end, records how, and returns its error.
func (w *CtxWatch) Wait(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	<-ctx.Done()
	select {
	case w.ended <- ctxEnding(ctx.Err()):
	default:
	}
	return uactor.Empty{}, ctx.Err()
}

// Ended returns how the next Wait's context ended, waiting up to d for one
// ("" if none ended by then).
func (w *CtxWatch) Ended(ctx context.Context, d time.Duration) (string, error) {
	select {
	case e := <-w.ended:
		return e, nil
	case <-time.After(d):
		return "", nil
	}
}

// Relay calls Wait on to with its own context.
func (w *CtxWatch) Relay(ctx context.Context, to uactor.Ref[*CtxWatch]) (uactor.Empty, error) {
	return CtxWait.Call(ctx, to, uactor.Empty{})
}

// Late sleeps for d whatever its context does, then answers n: a reply
// that comes after its caller gave up.
func (w *CtxWatch) Late(ctx context.Context, req []int64) (int64, error) {
	time.Sleep(time.Duration(req[0]))
	return req[1], nil
}

// Echo answers n.
func (w *CtxWatch) Echo(ctx context.Context, n int64) (int64, error) {
	w.runs.Add(1)
	return n, nil
}

// Goroutines reports the actor process's goroutine count, once it has come
// down to at most want or d has passed.
func (w *CtxWatch) Goroutines(ctx context.Context, req []int64) (int, error) {
	want, d := int(req[0]), time.Duration(req[1])
	end := time.Now().Add(d)
	for runtime.NumGoroutine() > want && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
	return runtime.NumGoroutine(), nil
}

var (
	CtxWatchKind = uactor.Define("ctxwatch", func(context.Context, uactor.Empty) (*CtxWatch, error) {
		return &CtxWatch{ended: make(chan string, 4096)}, nil
	})
	CtxWait       = uactor.Expose(CtxWatchKind, "wait", (*CtxWatch).Wait)
	CtxEnded      = uactor.Expose(CtxWatchKind, "ended", (*CtxWatch).Ended)
	CtxRelay      = uactor.Expose(CtxWatchKind, "relay", (*CtxWatch).Relay)
	CtxLate       = uactor.Expose(CtxWatchKind, "late", (*CtxWatch).Late)
	CtxEcho       = uactor.Expose(CtxWatchKind, "echo", (*CtxWatch).Echo)
	CtxGoroutines = uactor.Expose(CtxWatchKind, "goroutines", (*CtxWatch).Goroutines)
)

// expectEnded checks that the next Wait that ended in w's actor ended as want.
func expectEnded(t *testing.T, ctx context.Context, w uactor.Ref[*CtxWatch], want, what string) {
	t.Helper()
	got, err := CtxEnded.Call(ctx, w, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("%s: the handler's context ended as %q; want %q", what, got, want)
	}
}

// A caller's cancel and a caller's deadline reach the handler in another
// process, and on from it to the handler of the call it makes with its
// context in a third, each telling the ending as it was: the caller gets
// context.Canceled or context.DeadlineExceeded, and so does each handler's
// context. Repeated, since the caller's CANCEL and the actor's own copy of
// the deadline race each other.
func TestCallEndingCrossesProcesses(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	a, b := spawn(t, ctx, CtxWatchKind, uactor.Empty{}), spawn(t, ctx, CtxWatchKind, uactor.Empty{})
	for i := range 20 {
		// A deadline: direct, then through a.
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := CtxWait.Call(dctx, a, uactor.Empty{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: a call past its deadline: %v; want context.DeadlineExceeded", i, err)
		}
		expectEnded(t, ctx, a, "deadline", "a call past its deadline")

		dctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		_, err = CtxRelay.Call(dctx, a, b)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: a relayed call past its deadline: %v; want context.DeadlineExceeded", i, err)
		}
		expectEnded(t, ctx, b, "deadline", "the nested call of a call past its deadline")

		// A cancel: direct, then through a.
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err = CtxWait.Call(cctx, a, uactor.Empty{})
		if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: a cancelled call: %v; want context.Canceled", i, err)
		}
		expectEnded(t, ctx, a, "canceled", "a cancelled call")

		cctx, cancel = context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err = CtxRelay.Call(cctx, a, b)
		if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: a cancelled relayed call: %v; want context.Canceled", i, err)
		}
		expectEnded(t, ctx, b, "canceled", "the nested call of a cancelled call")
		if t.Failed() {
			return
		}
	}
}

// A call whose context has ended already fails with the context's error
// and touches nothing on the wire: through a ref with no connection yet (a
// copy received in a message), it starts no dial. The relay in front of
// the actor counts the connections made to it.
func TestEndedContextDialsNothing(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := freePort(t)
	rl := startRelay(t, "tcp://127.0.0.1:"+p, nil)
	r := tcpCounter(t, "tcp://127.0.0.1:"+p, uactor.Advertise("tcp://"+rl.addr()))
	b, err := r.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	var named uactor.Ref[*Counter] // as a process that received it in a message has it
	if err := named.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { named.Close() })
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancel2 := context.WithCancel(ctx)
	cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"deadline passed", expired, context.DeadlineExceeded},
		{"cancelled", cancelled, context.Canceled},
		{"cancelled, with metadata", uactor.WithMetadata(cancelled, "k", "v"), context.Canceled},
	} {
		if _, err := Add.Call(tc.ctx, named, 1); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
	}
	time.Sleep(200 * time.Millisecond) // for a dial under way to reach the relay
	if n := rl.accepted.Load(); n != 0 {
		t.Errorf("calls whose context had ended made %d connections; want none", n)
	}
	if n, err := Add.Call(ctx, named, 1); err != nil || n != 1 {
		t.Fatalf("a live call afterwards: %d, %v; want the first add", n, err)
	}
}
