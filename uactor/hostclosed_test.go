package uactor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// DropShared closes the value Shared hosts: its host ends it, while the
// actor's process serves on.
func (c *Counter) DropShared(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shared.Close()
	return uactor.Empty{}, nil
}

var DropShared = uactor.Expose(CounterKind, "dropshared", (*Counter).DropShared)

// hostedBy returns a ref to the value a's actor hosts (Shared), one that
// has made a call, and closes it as the test ends.
func hostedBy(t *testing.T, ctx context.Context, a uactor.Ref[*Counter]) uactor.Ref[*Counter] {
	t.Helper()
	shared, err := Shared.Call(ctx, a, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shared.Close() })
	if _, err := Add.Call(ctx, shared, 1); err != nil {
		t.Fatal(err)
	}
	return shared
}

// A ref to a value an actor hosts, once the actor has closed the value,
// fails its calls with ErrActorDied at once, as one to a value hosted in a
// process of its own does: a hosted value never restarts, so there is
// nothing for the ref to wait for, and it must not spend DialTimeout
// (here longer than the call's own deadline) dialling a socket that
// cannot come back.
func TestRefToHostedValueClosedByItsActor(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	a := spawnCounter(t, ctx)
	shared := hostedBy(t, ctx, a)
	if _, err := DropShared.Call(ctx, a, uactor.Empty{}); err != nil {
		t.Fatal(err)
	}
	// Each call's deadline is shorter than DialTimeout (5 s by default): a
	// call that waits for the reconnect's verdict ends on it instead. (The
	// first may be sent before the connection's end is seen, and fail as a
	// call in flight.)
	for i := range 2 {
		callCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
		_, err := Add.Call(callCtx, shared, 1)
		cancel()
		if !errors.Is(err, uactor.ErrActorDied) {
			t.Fatalf("call %d to a hosted value its actor closed = %v; want ErrActorDied", i+1, err)
		}
	}
	waitDone(t, shared, 10*time.Second)
	if n, err := Add.Call(ctx, a, 1); err != nil || n != 1 {
		t.Fatalf("the actor itself afterwards: Add = %d, %v; want 1", n, err)
	}
}
