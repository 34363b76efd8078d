package uactor_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
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

// The directories of the values that a killed actor's process hosted go
// as its process is reaped, with its socket, not when a restart begins,
// which the restart's backoff may put off: meanwhile their sockets would
// be left on disk, and refs to those values would redial them rather than
// give them up. The owner's log tells of the exit right after the reap;
// its handler looks at the directory then.
func TestHostedDirsGoAtReap(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	var hosted string
	var mu sync.Mutex
	var at []error // what Stat said of the directory at each exit's record
	h := &onRecord{f: func(r slog.Record) {
		if r.Message != "uactor: actor process exited" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		_, err := os.Stat(hosted)
		at = append(at, err)
	}}
	a := spawnRestarting(t, ctx, uactor.Logger(slog.New(h)), uactor.Output(io.Discard))
	shared := hostedBy(t, ctx, a)
	mu.Lock()
	hosted = socketDir(shared.Address())
	mu.Unlock()
	killAndWait(t, ctx, a)
	mu.Lock()
	defer mu.Unlock()
	if len(at) != 1 {
		t.Fatalf("%d records of the exit; want 1", len(at))
	}
	if !errors.Is(at[0], os.ErrNotExist) {
		t.Errorf("the directory %s of a value the killed process hosted was still there as its process was reaped (Stat: %v)", hosted, at[0])
	}
}

// onRecord is a slog.Handler that hands every record to f, as it is logged.
type onRecord struct{ f func(slog.Record) }

func (h *onRecord) Enabled(context.Context, slog.Level) bool { return true }
func (h *onRecord) Handle(_ context.Context, r slog.Record) error {
	h.f(r)
	return nil
}
func (h *onRecord) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *onRecord) WithGroup(string) slog.Handler      { return h }
