package uactor_test

// An actor's own actors (nested spawn) when its owner closes it.

import (
	"context"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// SpawnChildRef spawns a counter of its own with the grace period given,
// and returns its ref (the actor keeps the owner's).
func (c *Counter) SpawnChildRef(ctx context.Context, grace time.Duration) (uactor.Ref[*Counter], error) {
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(grace))
	if err != nil {
		return r, err
	}
	c.mu.Lock()
	c.children = append(c.children, r)
	c.mu.Unlock()
	return r, nil
}

var SpawnChildRef = uactor.Expose(CounterKind, "spawnchildref", (*Counter).SpawnChildRef)

// The owner's graceful Close of an actor reaches the actors it spawned:
// a call in flight on a nested actor gets the grace period too (the
// shorter of the two actors'), rather than dying with its owner's
// process, and the nested actor is gone afterwards all the same.
func TestCloseGivesNestedActorsCallsTheGrace(t *testing.T) {
	ctx := testCtx(t, 40*time.Second)
	for _, tc := range []struct {
		name          string
		parent, child time.Duration
	}{
		{"the parent's grace is shorter", 5 * time.Second, 20 * time.Second},
		{"the child's grace is shorter", 20 * time.Second, 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := spawnCounter(t, ctx, uactor.GracePeriod(tc.parent))
			child, err := SpawnChildRef.Call(ctx, r, tc.child)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { child.Close() })
			pid := child.PID()
			ok, err := blockThroughClose(t, ctx, child, 500*time.Millisecond, r)
			if err != nil || !ok {
				t.Errorf("a 500 ms call in flight on a nested actor during its owner's Close (grace %v and %v) = %v, %v; want it to finish",
					tc.parent, tc.child, ok, err)
			}
			assertGone(t, pid, 5*time.Second)
		})
	}
}
