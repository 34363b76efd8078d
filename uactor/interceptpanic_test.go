package uactor_test

// A handler that panics is recovered, the actor serves on, and the caller
// gets ErrPanic: also when a server interceptor runs it in a goroutine of
// its own (one that times calls out), where the actor's own recover, around
// the interceptor, cannot reach.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Boom panics in its handler.
type Boom struct{}

func (Boom) Panic(context.Context, string) (string, error)    { panic("boom") }
func (Boom) Echo(_ context.Context, s string) (string, error) { return s, nil }

// inGoroutine runs each handler in a goroutine of its own and waits for it
// or for the call's context, as a timeout interceptor does.
func inGoroutine(ctx context.Context, _ uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
	type result struct {
		resp any
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := handle(ctx, req)
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// inline runs each handler in the interceptor's goroutine.
func inline(ctx context.Context, _ uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
	return handle(ctx, req)
}

var (
	BoomAsideKind = uactor.Define("boomaside", func(context.Context, uactor.Empty) (Boom, error) { return Boom{}, nil },
		uactor.ServerInterceptors(inGoroutine))
	BoomAsidePanic = uactor.Expose(BoomAsideKind, "panic", Boom.Panic)
	BoomAsideEcho  = uactor.Expose(BoomAsideKind, "echo", Boom.Echo)

	BoomInlineKind = uactor.Define("boominline", func(context.Context, uactor.Empty) (Boom, error) { return Boom{}, nil },
		uactor.ServerInterceptors(inline))
	BoomInlinePanic = uactor.Expose(BoomInlineKind, "panic", Boom.Panic)
	BoomInlineEcho  = uactor.Expose(BoomInlineKind, "echo", Boom.Echo)
)

func TestHandlerPanicUnderInterceptorIsRecovered(t *testing.T) {
	for _, c := range []struct {
		name  string
		kind  *uactor.Kind[Boom, uactor.Empty]
		panic uactor.Method[Boom, string, string]
		echo  uactor.Method[Boom, string, string]
	}{
		{"handler in the interceptor's goroutine", BoomInlineKind, BoomInlinePanic, BoomInlineEcho},
		{"handler in a goroutine of the interceptor's", BoomAsideKind, BoomAsidePanic, BoomAsideEcho},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r := spawn(t, ctx, c.kind, uactor.Empty{})
			if _, err := c.panic.Call(ctx, r, "x"); !errors.Is(err, uactor.ErrPanic) {
				t.Fatalf("a call whose handler panicked: %v; want ErrPanic", err)
			}
			if got, err := c.echo.Call(ctx, r, "still here"); err != nil || got != "still here" {
				t.Fatalf("the next call = %q, %v; want the actor serving on", got, err)
			}
		})
	}
}
