package uactor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// NilBoom's NilPanic panics with nil: under GODEBUG=panicnil=1, which
// restores recover's nil for such a panic, a recover that looks only at
// its result cannot tell it from a return.
type NilBoom struct{}

func (NilBoom) NilPanic(context.Context, string) (string, error) { panic(nil) }
func (NilBoom) Echo(_ context.Context, s string) (string, error) { return s, nil }

// nilPanicError's Error method panics with nil.
type nilPanicError struct{}

func (nilPanicError) Error() string { panic(nil) }

// NilError returns an error whose Error method panics with nil.
func (NilBoom) NilError(context.Context, string) (string, error) { return "", nilPanicError{} }

func newNilBoom(context.Context, uactor.Empty) (NilBoom, error) { return NilBoom{}, nil }

var (
	NilBoomKind  = uactor.Define("nilboom", newNilBoom)
	NilBoomPanic = uactor.Expose(NilBoomKind, "nilpanic", NilBoom.NilPanic)
	NilBoomEcho  = uactor.Expose(NilBoomKind, "echo", NilBoom.Echo)
	NilBoomError = uactor.Expose(NilBoomKind, "nilerror", NilBoom.NilError)

	NilBoomInlineKind  = uactor.Define("nilboominline", newNilBoom, uactor.ServerInterceptors(inline))
	NilBoomInlinePanic = uactor.Expose(NilBoomInlineKind, "nilpanic", NilBoom.NilPanic)
	NilBoomInlineEcho  = uactor.Expose(NilBoomInlineKind, "echo", NilBoom.Echo)

	NilBoomAsideKind  = uactor.Define("nilboomaside", newNilBoom, uactor.ServerInterceptors(inGoroutine))
	NilBoomAsidePanic = uactor.Expose(NilBoomAsideKind, "nilpanic", NilBoom.NilPanic)
	NilBoomAsideEcho  = uactor.Expose(NilBoomAsideKind, "echo", NilBoom.Echo)
)

// A handler that panics with nil in an actor run under GODEBUG=panicnil=1
// (a program may set it, with a //go:debug line, say) still gets its call
// ErrPanic, as any other panic does, and never a zero response passed off
// as the handler's: with or without an interceptor around it.
func TestHandlerNilPanicUnderPanicNil(t *testing.T) {
	t.Setenv("GODEBUG", "panicnil=1") // the spawned actor's process inherits it
	for _, c := range []struct {
		name  string
		kind  *uactor.Kind[NilBoom, uactor.Empty]
		panic uactor.Method[NilBoom, string, string]
		echo  uactor.Method[NilBoom, string, string]
	}{
		{"no interceptor", NilBoomKind, NilBoomPanic, NilBoomEcho},
		{"handler in the interceptor's goroutine", NilBoomInlineKind, NilBoomInlinePanic, NilBoomInlineEcho},
		{"handler in a goroutine of the interceptor's", NilBoomAsideKind, NilBoomAsidePanic, NilBoomAsideEcho},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r := spawn(t, ctx, c.kind, uactor.Empty{})
			if got, err := c.panic.Call(ctx, r, "x"); !errors.Is(err, uactor.ErrPanic) {
				t.Fatalf("a call whose handler panicked with nil = %q, %v; want ErrPanic", got, err)
			}
			if got, err := c.echo.Call(ctx, r, "still here"); err != nil || got != "still here" {
				t.Fatalf("the next call = %q, %v; want the actor serving on", got, err)
			}
		})
	}
}

// NilCtorKind's constructor panics with nil.
var NilCtorKind = uactor.Define("nilctor", func(context.Context, uactor.Empty) (*NilBoom, error) { panic(nil) })

// A constructor that panics with nil in a process run under
// GODEBUG=panicnil=1 fails its Spawn with ErrPanic, as any other panic
// does: the actor is not served as a nil value whose every call panics.
func TestConstructorNilPanicUnderPanicNil(t *testing.T) {
	t.Setenv("GODEBUG", "panicnil=1") // the spawned actor's process inherits it
	ctx := testCtx(t, 30*time.Second)
	if err := spawnFails(t, ctx, NilCtorKind, uactor.Empty{}); !errors.Is(err, uactor.ErrPanic) {
		t.Fatalf("Spawn with a constructor that panicked with nil: %v; want ErrPanic", err)
	}
}

// A handler's error whose Error method panics with nil, under
// GODEBUG=panicnil=1, gets its call ErrPanic, as one that panics with
// anything else does: not an empty error frame (ErrProtocol).
func TestHandlerErrorNilPanicUnderPanicNil(t *testing.T) {
	t.Setenv("GODEBUG", "panicnil=1") // the spawned actor's process inherits it
	ctx := testCtx(t, 30*time.Second)
	r := spawn(t, ctx, NilBoomKind, uactor.Empty{})
	if _, err := NilBoomError.Call(ctx, r, "x"); !errors.Is(err, uactor.ErrPanic) {
		t.Fatalf("a call whose error's Error method panicked with nil: %v; want ErrPanic", err)
	}
}
