package uactor_test

// The values an actor hosts while its owner closes it.

import (
	"context"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// AddSharedLater counts itself as a call, waits d, then adds 1 to the
// counter this actor hosts (Shared, which must have run) through its ref,
// and returns what that Add did.
func (c *Counter) AddSharedLater(ctx context.Context, d time.Duration) (int64, error) {
	c.calls.Add(1)
	time.Sleep(d) // on, whatever ctx says: the grace period is what lets it
	c.mu.Lock()
	shared := c.shared
	c.mu.Unlock()
	return Add.Call(ctx, shared, 1)
}

var AddSharedLater = uactor.Expose(CounterKind, "addsharedlater", (*Counter).AddSharedLater)

// An actor's call in flight at its owner's graceful Close may use a value
// the actor's process hosts: the value serves on until the actor's calls
// are done, as Close promises them the grace period, rather than refusing
// them with ErrClosed.
func TestCloseLetsActorsCallsUseItsHostedValues(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx, uactor.GracePeriod(5*time.Second))
	shared, err := Shared.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shared.Close() })
	pid := r.PID()
	type result struct {
		n   int64
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := AddSharedLater.Call(ctx, r, 300*time.Millisecond)
		res <- result{n, err}
	}()
	waitCalls(t, ctx, r, 1)
	r.Close()
	got := receive(t, res, 20*time.Second, "the actor's call in flight never returned")
	if got.err != nil || got.n != 1 {
		t.Errorf("a call in flight at Close (grace 5 s) that adds 1 to a hosted value after 300 ms = %d, %v; want 1, nil", got.n, got.err)
	}
	assertGone(t, pid, 10*time.Second)
}
