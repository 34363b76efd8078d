package spawn

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Start with a context that has ended starts nothing: the binary is one
// that does not exist, so an attempt to start would show as an exec error
// instead of the context's.
func TestStartCancelledStartsNothing(t *testing.T) {
	old := executable
	t.Cleanup(func() { executable = old })
	tried := false
	executable = func() (string, error) { tried = true; return "/nonexistent/uactor-test", nil }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _, err := Start(ctx, Config{Kind: "test", Bootstrap: []byte("x")})
	if p != nil {
		p.discard()
	}
	if !errors.Is(err, context.Canceled) || tried {
		t.Fatalf("Start with a cancelled context: %v (tried to start a process: %v); want context.Canceled and no start", err, tried)
	}
}

// An OnExit call that replaces f while the child is being reaped runs
// instead of it, not beside it: on one P, with exitMu held while exited
// runs as far as it can, the later call comes between Done's close and
// exited taking f, where it once found Done closed and ran its own f
// while exited ran the replaced one.
func TestOnExitReplacedRunsOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for i := range 10 {
		p := &Process{done: make(chan struct{}), pidfd: -1}
		var oldRan, newRan atomic.Int32
		ran := make(chan struct{}, 2)
		p.OnExit(func() { oldRan.Add(1); ran <- struct{}{} })

		p.exitMu.Lock()
		go p.exited(0, true)
		for end := time.Now().Add(20 * time.Millisecond); time.Now().Before(end); { // exited runs as far as it can
			select {
			case <-p.done:
				end = time.Time{}
			default:
				runtime.Gosched()
			}
		}
		p.exitMu.Unlock()
		p.OnExit(func() { newRan.Add(1); ran <- struct{}{} })

		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatal("no exit function ran")
		}
		select { // a second one, if any, runs at once
		case <-ran:
		case <-time.After(100 * time.Millisecond):
		}
		if o, n := oldRan.Load(), newRan.Load(); o != 0 || n != 1 {
			t.Fatalf("iteration %d: the replaced f ran %d times, the later one %d times; want 0 and 1", i, o, n)
		}
	}
}
