package uactor_test

// Spawn's context and the constructor it runs in another process.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// DeadlineTeller's constructor fails with what its context says of its
// deadline: "deadline <unix nanoseconds>" or "no deadline".
type DeadlineTeller struct{}

var DeadlineTellerKind = uactor.Define("deadline-teller", func(ctx context.Context, _ uactor.Empty) (DeadlineTeller, error) {
	if dl, ok := ctx.Deadline(); ok {
		return DeadlineTeller{}, fmt.Errorf("deadline %d", dl.UnixNano())
	}
	return DeadlineTeller{}, errors.New("no deadline")
})

// The constructor's context has the deadline of Spawn's, in a process
// started for it and in a standby that takes it alike: a constructor that
// waits on something with it gives up when Spawn does. Before, its
// context had no deadline and never ended, so it could only be killed.
func TestConstructorContextHasSpawnDeadline(t *testing.T) {
	inBothStarts(t, func(t *testing.T, ctx context.Context) {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		dl, _ := sctx.Deadline()
		err := spawnFails(t, sctx, DeadlineTellerKind, uactor.Empty{})
		if want := fmt.Sprintf("deadline %d", dl.UnixNano()); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Spawn = %v; want the constructor's error saying %q, Spawn's deadline", err, want)
		}
	})
}

// A constructor that never returns, not even when its context ends, is
// killed and reaped once Spawn's deadline passes: Spawn fails with
// context.DeadlineExceeded and leaves no process, whether the actor got a
// process of its own or a standby's.
func TestSpawnDeadlineEndsHangingConstructor(t *testing.T) {
	inBothStarts(t, func(t *testing.T, ctx context.Context) {
		dir := t.TempDir()
		setMood(t, dir, "hang")
		sctx := newExpiring(ctx)
		errc := make(chan error, 1)
		go func() { errc <- spawnFails(t, sctx, MoodyKind, dir) }()
		waitStarts(t, ctx, dir, 1) // the constructor runs: now its deadline passes
		sctx.expire()
		err := receive(t, errc, 20*time.Second, "Spawn did not return once its deadline passed")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Spawn of a constructor that hangs = %v; want context.DeadlineExceeded", err)
		}
		pids := moodyPIDs(t, dir)
		if len(pids) != 1 {
			t.Fatalf("%d starts of the constructor; want 1", len(pids))
		}
		assertGone(t, pids[0], 5*time.Second)
		assertReaped(t, pids[0])
	})
}

// expiring is a context whose deadline, an hour away, passes when the test
// says (expire), so that it passes while a constructor surely runs.
type expiring struct {
	context.Context
	deadline time.Time
	done     chan struct{}
}

func newExpiring(parent context.Context) *expiring {
	return &expiring{Context: parent, deadline: time.Now().Add(time.Hour), done: make(chan struct{})}
}

func (e *expiring) expire()                     { close(e.done) }
func (e *expiring) Deadline() (time.Time, bool) { return e.deadline, true }
func (e *expiring) Done() <-chan struct{}       { return e.done }
func (e *expiring) Err() error {
	select {
	case <-e.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// inBothStarts runs f as a subtest twice: with the actor started in a
// process of its own, and with a standby waiting to take it.
func inBothStarts(t *testing.T, f func(t *testing.T, ctx context.Context)) {
	for _, c := range []struct {
		name    string
		standby bool
	}{
		{"new process", false},
		{"standby", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			if c.standby {
				keepStandbys(t, ctx, 1)
			}
			f(t, ctx)
		})
	}
}
