package uactor_test

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// The directories of the values that a killed actor's process hosted are
// removed before its restart, wherever the actor's directory is: a TMPDIR
// whose name holds characters that a glob pattern reads as its own
// ("[", "*", "?") must not hide them, and refs to those values must find
// them gone at once rather than redial for DialTimeout.
func TestHostedDirsGoOnRestartUnderGlobTMPDIR(t *testing.T) {
	base, err := os.MkdirTemp("", "g[1]*?")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	t.Setenv("TMPDIR", base)
	ctx := testCtx(t, 60*time.Second)
	a, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Restart(5, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	shared, err := Shared.Call(ctx, a, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shared.Close() })
	if _, err := Add.Call(ctx, shared, 1); err != nil {
		t.Fatal(err)
	}
	hosted := socketDir(shared.Address())
	old := a.PID()
	syscall.Kill(old, syscall.SIGKILL)
	for a.PID() == old || a.PID() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the actor was not restarted")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := Add.Call(ctx, a, 1); err != nil { // served by the restarted process
		t.Fatal(err)
	}
	if _, err := os.Stat(hosted); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the directory %s of a value the killed process hosted is still there after the restart (%v)", hosted, err)
	}
	// Shorter than DialTimeout (5 s): a ref that took the value for one
	// restarting would end on this instead.
	callCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := Add.Call(callCtx, shared, 1); !errors.Is(err, uactor.ErrActorDied) {
		t.Errorf("a call to the value the killed process hosted = %v; want ErrActorDied", err)
	}
}
