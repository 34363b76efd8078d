package uactor_test

// A server interceptor that answers a call before its handler has
// returned (one that times calls out runs the handler in a goroutine and
// gives up on it): the handler still runs on the actor.

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Overlap counts the handlers that run at once.
type Overlap struct {
	running  atomic.Int32
	started  chan struct{} // Hold: it runs
	release  chan struct{} // Hold: return now (its context is ignored)
	returned atomic.Bool   // Hold returned
}

// Hold runs until release is closed, whatever its context says.
func (o *Overlap) Hold(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	o.running.Add(1)
	defer o.running.Add(-1)
	o.started <- struct{}{}
	<-o.release
	o.returned.Store(true)
	return uactor.Empty{}, nil
}

// Enter returns how many handlers run, itself included.
func (o *Overlap) Enter(ctx context.Context, _ uactor.Empty) (int32, error) {
	defer o.running.Add(-1)
	return o.running.Add(1), nil
}

var (
	OverlapKind = uactor.Define("overlap", func(context.Context, uactor.Empty) (*Overlap, error) {
		return nil, errors.New("hosted only")
	})
	OverlapHold  = uactor.Expose(OverlapKind, "hold", (*Overlap).Hold)
	OverlapEnter = uactor.Expose(OverlapKind, "enter", (*Overlap).Enter)
)

var errGaveUp = errors.New("gave up on the handler")

// giveUp answers Hold once its handler runs, leaving it running; it
// answers other calls without running them when short is set.
func giveUp(o *Overlap, short bool) uactor.ServerInterceptor {
	return func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		switch {
		case info.Method == OverlapHold.Name():
			go handle(ctx, req)
			<-o.started
			return nil, errGaveUp
		case short:
			return int32(-1), nil
		}
		return handle(ctx, req)
	}
}

func newOverlap() *Overlap {
	return &Overlap{started: make(chan struct{}, 1), release: make(chan struct{})}
}

// A Serial actor runs one handler at a time, interceptors or not: a call
// that arrives while a handler its interceptor gave up on still runs waits
// for that handler to return.
func TestSerialWaitsForAHandlerItsInterceptorGaveUpOn(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	o := newOverlap()
	r := host(t, ctx, OverlapKind, o, uactor.Serial(), uactor.ServerInterceptors(giveUp(o, false)))
	if _, err := OverlapHold.Call(ctx, r, uactor.Empty{}); err == nil || !strings.Contains(err.Error(), errGaveUp.Error()) {
		t.Fatalf("Hold = %v; want the interceptor's %v", err, errGaveUp)
	}
	res := make(chan int32, 1)
	go func() {
		n, err := OverlapEnter.Call(ctx, r, uactor.Empty{})
		if err != nil {
			t.Errorf("Enter: %v", err)
		}
		res <- n
	}()
	time.Sleep(100 * time.Millisecond) // room for Enter to run beside Hold, were it let
	close(o.release)
	if n := receive(t, res, 20*time.Second, "Enter did not return"); n != 1 {
		t.Fatalf("Enter ran beside %d other handler(s) of a Serial actor; want it alone", n-1)
	}
}

// An owner's Close lets the handlers in flight finish within the grace
// period, and a handler whose call its interceptor answered early is in
// flight until it returns; a call that the interceptor answered without
// running the handler at all holds Close up for nothing.
func TestCloseWaitsForAHandlerItsInterceptorGaveUpOn(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	t.Run("the handler runs on", func(t *testing.T) {
		o := newOverlap()
		r := host(t, ctx, OverlapKind, o, uactor.GracePeriod(20*time.Second), uactor.ServerInterceptors(giveUp(o, false)))
		if _, err := OverlapHold.Call(ctx, r, uactor.Empty{}); err == nil {
			t.Fatal("Hold succeeded; want the interceptor's error")
		}
		go func() {
			time.Sleep(200 * time.Millisecond)
			close(o.release)
		}()
		r.Close()
		if !o.returned.Load() {
			t.Fatal("Close returned while a handler of the actor still ran, within the grace period")
		}
	})
	for _, serial := range []bool{false, true} {
		name := "no handler ran"
		if serial {
			name += ", Serial"
		}
		t.Run(name, func(t *testing.T) {
			o := newOverlap()
			opts := []uactor.Option{uactor.GracePeriod(time.Hour), uactor.ServerInterceptors(giveUp(o, true))}
			if serial {
				opts = append(opts, uactor.Serial())
			}
			r := host(t, ctx, OverlapKind, o, opts...)
			for range 2 {
				if n, err := OverlapEnter.Call(ctx, r, uactor.Empty{}); err != nil || n != -1 {
					t.Fatalf("Enter = %d, %v; want the interceptor's -1", n, err)
				}
			}
			closed := make(chan struct{})
			go func() { r.Close(); close(closed) }()
			receive(t, closed, 20*time.Second, "Close (with an hour's grace) did not return after calls an interceptor answered")
		})
	}
}
