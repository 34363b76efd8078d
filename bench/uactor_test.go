package bench

import (
	"context"
	"testing"

	"github.com/uactor-go/uactor/uactor"
)

// The library under test: an echo actor spawned with the defaults (its
// own process, re-executed by uactor.Spawn, on a Unix socket in a private
// directory), called through its typed Method.

type echoActor struct{}

func (*echoActor) Echo(_ context.Context, b []byte) ([]byte, error) { return b, nil }

// Kinds and methods live in package-level vars so that the child knows them.
var (
	echoKind = uactor.Define("bench.echo", func(context.Context, uactor.Empty) (*echoActor, error) {
		return &echoActor{}, nil
	})
	echoMethod = uactor.Expose(echoKind, "echo", (*echoActor).Echo)
)

func startUactor(tb testing.TB) echoFunc {
	tb.Helper()
	r, err := uactor.Spawn(benchCtx(tb), echoKind, uactor.Empty{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() }) // stops the actor's process and reaps it
	return func(ctx context.Context, req []byte) ([]byte, error) {
		return echoMethod.Call(ctx, r, req)
	}
}
