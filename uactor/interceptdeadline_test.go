package uactor_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Unhurried is an actor whose server interceptor takes its time before it
// runs the handler: past the call's deadline, for a call that has one.
type Unhurried struct {
	runs    atomic.Int64 // handlers run
	handled atomic.Int64 // calls the interceptor handed on
}

// slowly is the unhurried kind's server interceptor: for a ping, it waits
// out the call's deadline, as one whose work (an auth lookup, say) ignores
// it would, and then runs the handler.
func slowly(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
	if info.Method != "ping" {
		return handle(ctx, req)
	}
	if dl, ok := ctx.Deadline(); ok {
		time.Sleep(time.Until(dl) + 50*time.Millisecond)
	}
	resp, err := handle(ctx, req)
	theUnhurried.Load().handled.Add(1)
	return resp, err
}

// theUnhurried is the actor of the unhurried kind's process (it holds one).
var theUnhurried atomic.Pointer[Unhurried]

var (
	UnhurriedKind = uactor.Define("unhurried-interceptor", func(context.Context, uactor.Empty) (*Unhurried, error) {
		s := &Unhurried{}
		theUnhurried.Store(s)
		return s, nil
	}, uactor.ServerInterceptors(slowly))
	UnhurriedPing = uactor.Expose(UnhurriedKind, "ping", func(s *Unhurried, _ context.Context, _ uactor.Empty) (int64, error) {
		return s.runs.Add(1), nil
	})
	// UnhurriedRuns reports the handlers run, once the interceptor has handed on
	// req calls or 10 s have passed.
	UnhurriedRuns = uactor.Expose(UnhurriedKind, "runs", func(s *Unhurried, _ context.Context, req int64) (int64, error) {
		for end := time.Now().Add(10 * time.Second); s.handled.Load() < req && time.Now().Before(end); {
			time.Sleep(time.Millisecond)
		}
		return s.runs.Load(), nil
	})
)

// A call whose deadline passes while a server interceptor holds it, before
// the interceptor runs the handler, is dropped as one queued behind a
// Serial actor's calls is: handle runs no handler, and returns the
// context's error. Before, the handler ran for a caller long gone.
func TestInterceptorDelayPastDeadlineDropsCall(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawn(t, ctx, UnhurriedKind, uactor.Empty{})
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := UnhurriedPing.Call(dctx, r, uactor.Empty{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call past its deadline: %v; want context.DeadlineExceeded", err)
	}
	if n, err := UnhurriedRuns.Call(ctx, r, 1); err != nil || n != 0 {
		t.Fatalf("handlers run: %d, %v; want 0: the deadline passed before the interceptor ran the handler", n, err)
	}
	if n, err := UnhurriedPing.Call(context.WithoutCancel(ctx), r, uactor.Empty{}); err != nil || n != 1 {
		t.Fatalf("a call without a deadline: %d, %v; want it run", n, err)
	}
}
