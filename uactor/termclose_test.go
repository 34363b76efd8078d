package uactor_test

// A SIGTERM that reaches an actor while its owner, alive, stops it
// gracefully: as when a service manager signals a whole process group and
// the owner shuts down in good order.

import (
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// A SIGTERM that comes while the owner's Close lets the calls in flight
// finish does not cut the grace period short: the owner is alive (no EOF
// follows) and decides when the process goes. Before, the process killed
// itself a second after the signal, failing the calls with ErrActorDied.
func TestSIGTERMDuringCloseKeepsGrace(t *testing.T) {
	parallel(t)
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx, uactor.GracePeriod(10*time.Second))
	pid := r.PID()
	type result struct {
		ok  bool
		err error
	}
	call := make(chan result, 1)
	go func() {
		ok, err := Block.Call(ctx, r, 2*time.Second) // longer than the wait for EOF after a SIGTERM
		call <- result{ok, err}
	}()
	waitCalls(t, ctx, r, 1)
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	// Either order of the stop record and the signal: the process waits a
	// while after a SIGTERM to learn whether its owner is gone.
	syscall.Kill(pid, syscall.SIGTERM)
	if got := receive(t, call, 10*time.Second, "the call in flight did not return"); !got.ok || got.err != nil {
		t.Fatalf("call in flight at Close, then SIGTERM = %v, %v; want it to finish within the grace period", got.ok, got.err)
	}
	receive(t, closed, 10*time.Second, "Close did not return")
	assertReaped(t, pid)
}
