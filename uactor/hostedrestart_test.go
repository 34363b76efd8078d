package uactor_test

import (
	"context"
	"errors"
	"os"
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
	a := spawnRestarting(t, ctx)
	shared := hostedBy(t, ctx, a)
	hosted := socketDir(shared.Address())
	killAndWait(t, ctx, a) // a call served by the restarted process
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
