package uactor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// nestStuck's Hold ignores its context: a call that outlives any grace
// period.
type nestStuck struct{ running chan struct{} }

func (n *nestStuck) Hold(context.Context, Empty) (Empty, error) {
	close(n.running)
	select {}
}

func (n *nestStuck) Started(ctx context.Context, _ Empty) (Empty, error) {
	select {
	case <-n.running:
		return Empty{}, nil
	case <-ctx.Done():
		return Empty{}, ctx.Err()
	}
}

// nestMiddle spawns a nestStuck with the grace period given.
type nestMiddle struct{}

func (nestMiddle) SpawnStuck(ctx context.Context, grace time.Duration) (Ref[*nestStuck], error) {
	return Spawn(ctx, nestStuckKind, Empty{}, GracePeriod(grace))
}

var (
	nestStuckKind = Define("nested-stuck", func(context.Context, Empty) (*nestStuck, error) {
		return &nestStuck{running: make(chan struct{})}, nil
	})
	nestStuckHold    = Expose(nestStuckKind, "hold", (*nestStuck).Hold)
	nestStuckStarted = Expose(nestStuckKind, "started", (*nestStuck).Started)
	nestMiddleKind   = Define("nested-stuck-middle", func(context.Context, Empty) (nestMiddle, error) { return nestMiddle{}, nil })
	nestMiddleSpawn  = Expose(nestMiddleKind, "spawn", nestMiddle.SpawnStuck)
)

// An actor whose owner closes it while an actor it spawned is stuck, in a
// call that ignores its context or as a whole process (stopped, say, or
// frozen), exits by itself within what its owner gives it, having stopped
// (or killed) and reaped that actor: it is not killed by its owner in
// turn, and no socket directory outlives them.
func TestNestedStuckActorLeavesItsOwnerToExit(t *testing.T) {
	for _, c := range []struct {
		name          string
		middle, inner time.Duration // grace periods
		frozen        bool          // the nested actor's process is stopped (SIGSTOP)
	}{
		{"a call stuck, the middle actor's grace shorter", 500 * time.Millisecond, 30 * time.Second, false},
		{"a call stuck, the same grace", time.Second, time.Second, false},
		{"a call stuck, no grace", 0, 0, false},
		{"frozen, the middle actor's grace shorter", 500 * time.Millisecond, 30 * time.Second, true},
		{"frozen, the same grace", time.Second, time.Second, true},
		{"frozen, no grace", 0, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			t.Cleanup(cancel)
			var mu sync.Mutex
			exits := map[string]*ExitError{}
			hook := func(kind string, exit *ExitError) {
				mu.Lock()
				exits[kind] = exit
				mu.Unlock()
			}
			testHookExited.Store(&hook)
			t.Cleanup(func() { testHookExited.Store(nil) })
			middle, err := Spawn(ctx, nestMiddleKind, Empty{}, GracePeriod(c.middle))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { middle.Close() })
			inner, err := nestMiddleSpawn.Call(ctx, middle, c.inner)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { inner.Close() })
			innerDir := filepath.Dir(strings.TrimPrefix(inner.Address(), "unix://"))
			go nestStuckHold.Call(ctx, inner, Empty{})
			if _, err := nestStuckStarted.Call(ctx, inner, Empty{}); err != nil {
				t.Fatal(err)
			}
			if c.frozen {
				pid := inner.PID()
				if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // if the middle actor left it
			}
			middle.Close()
			mu.Lock()
			got := exits[nestMiddleKind.entry.name]
			mu.Unlock()
			if got == nil || got.ExitCode != 0 {
				t.Errorf("the middle actor, its nested actor stuck, ended so: %v; want exit code 0, not killed", got)
			}
			for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				if _, err := os.Stat(innerDir); os.IsNotExist(err) {
					break
				} else if time.Now().After(end) {
					t.Errorf("the nested actor's socket directory %s outlived it: %v", innerDir, err)
					break
				}
			}
		})
	}
}
