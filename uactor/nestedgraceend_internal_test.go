package uactor

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// nestInner's Hold waits for its context's end; Running says how many
// Holds have begun.
type nestInner struct{ running atomic.Int32 }

func (n *nestInner) Hold(ctx context.Context, _ Empty) (Empty, error) {
	n.running.Add(1)
	<-ctx.Done()
	return Empty{}, ctx.Err()
}

func (n *nestInner) Running(context.Context, Empty) (int32, error) { return n.running.Load(), nil }

// nestOuter spawns a nestInner, and writes how each process it spawned
// ended to the file its argument names.
type nestOuter struct{}

func (nestOuter) SpawnInner(ctx context.Context, grace time.Duration) (Ref[*nestInner], error) {
	return Spawn(ctx, nestInnerKind, Empty{}, GracePeriod(grace))
}

var (
	nestInnerKind    = Define("nested-grace-end-inner", func(context.Context, Empty) (*nestInner, error) { return &nestInner{}, nil })
	nestInnerHold    = Expose(nestInnerKind, "hold", (*nestInner).Hold)
	nestInnerRunning = Expose(nestInnerKind, "running", (*nestInner).Running)
	nestOuterKind    = Define("nested-grace-end-outer", func(_ context.Context, path string) (nestOuter, error) {
		hook := func(kind string, exit *ExitError) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err == nil {
				f.WriteString(exit.Error() + "\n")
				f.Close()
			}
		}
		testHookExited.Store(&hook)
		return nestOuter{}, nil
	})
	nestOuterSpawn = Expose(nestOuterKind, "spawn", nestOuter.SpawnInner)
)

// An actor whose owner closes it stops the actors it spawned with what is
// left of its grace period, not their own longer one: their calls are
// cancelled when that ends and they exit, rather than run on until they
// are killed (and their owner, that waited for them, with them).
func TestNestedActorStopsWithinItsOwnersGrace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	path := t.TempDir() + "/exits"
	outer, err := Spawn(ctx, nestOuterKind, path, GracePeriod(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { outer.Close() })
	inner, err := nestOuterSpawn.Call(ctx, outer, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	held := make(chan error, 1)
	go func() { _, err := nestInnerHold.Call(ctx, inner, Empty{}); held <- err }()
	for n := int32(0); n == 0; time.Sleep(time.Millisecond) {
		if n, err = nestInnerRunning.Call(ctx, inner, Empty{}); err != nil {
			t.Fatalf("Running: %v", err)
		}
	}
	outer.Close()
	select {
	case err := <-held:
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("the nested actor's call at its owner's Close: %v; want it ended with its actor", err)
		}
	case <-ctx.Done():
		t.Fatal("the nested actor's call never ended")
	}
	b, _ := os.ReadFile(path)
	if got, want := string(b), (&ExitError{PID: inner.PID(), ExitCode: 0}).Error()+"\n"; got != want {
		t.Fatalf("the nested actor's process ended so (in its owner): %q; want %q: stopped within its owner's grace", got, want)
	}
}
