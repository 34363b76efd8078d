package uactor_test

// An actor's process that ends before its constructor returns: Spawn says
// how it ended as an owner's ref would once it served.

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Doomed's constructor ends its process as its argument says: "exit N"
// exits with code N, "signal N" sends itself signal N, "crash" panics in
// a goroutine of its own (which no recover reaches).
type Doomed struct{}

var DoomedKind = uactor.Define("doomed", func(ctx context.Context, how string) (Doomed, error) {
	verb, n, _ := strings.Cut(how, " ")
	code, _ := strconv.Atoi(n)
	switch verb {
	case "exit":
		os.Exit(code)
	case "signal":
		syscall.Kill(os.Getpid(), syscall.Signal(code))
	case "crash":
		go panic("doomed")
	}
	time.Sleep(time.Minute) // a signal or a crash ends the process meanwhile
	return Doomed{}, nil
})

// A process that exits or is killed in its constructor makes Spawn fail
// with an *ExitError (matching ErrActorDied) that says how, as Err does
// for one that dies serving; not with the EOF its owner read.
func TestSpawnDeathInConstructor(t *testing.T) {
	parallel(t)
	for _, c := range []struct {
		how    string
		code   int
		signal syscall.Signal
	}{
		{"exit 7", 7, 0},
		{"exit 0", 0, 0},
		{"signal 9", -1, syscall.SIGKILL},
		{"signal 15", -1, syscall.SIGTERM},
		{"crash", 2, 0},
	} {
		t.Run(c.how, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t, 20*time.Second)
			err := spawnFails(t, ctx, DoomedKind, c.how, uactor.Output(io.Discard))
			var ee *uactor.ExitError
			if !errors.As(err, &ee) || !errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("Spawn = %v; want an *ExitError matching ErrActorDied", err)
			}
			if ee.PID <= 0 || ee.ExitCode != c.code || ee.Signal != c.signal {
				t.Fatalf("ExitError = %+v; want code %d, signal %d", *ee, c.code, c.signal)
			}
			assertReaped(t, ee.PID)
			if msg := err.Error(); strings.Contains(msg, "EOF") || strings.Count(msg, "uactor:") != 1 {
				t.Fatalf("Spawn's error says %q", msg)
			}
		})
	}
}
