package uactor_test

// The owner's Close after its actor's process crashed, but before the
// owner had handled the crash: Err still says how the process ended.

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// crasher exits its process from a handler; first it may start a process
// that inherits its output and outlives it, whose pid it writes to the
// file its spawn argument names.
type crasher struct{ pidFile string }

// Crash exits with code 3; if leave is set, a process started first keeps
// the actor's output open after it.
func (c crasher) Crash(ctx context.Context, leave bool) (uactor.Empty, error) {
	if leave {
		cmd := exec.Command("sleep", "20")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			return uactor.Empty{}, err
		}
		if err := os.WriteFile(c.pidFile, strconv.AppendInt(nil, int64(cmd.Process.Pid), 10), 0o600); err != nil {
			return uactor.Empty{}, err
		}
	}
	os.Exit(3)
	return uactor.Empty{}, nil
}

var (
	crasherKind = uactor.Define("close-after-crash", func(_ context.Context, pidFile string) (crasher, error) {
		return crasher{pidFile}, nil
	})
	crash = uactor.Expose(crasherKind, "crash", crasher.Crash)
)

// A call fails with ErrActorDied as the actor's process crashes, and the
// owner closes the ref at once, before it has handled the process's end
// (which waits a moment for the output of a process that outlives the
// actor): Err is still the crash's *ExitError, as it would be had the Close
// come later, not ErrClosed, which would hide the crash. Unless a restart
// would have followed the crash: then the Close ends the actor, and Err
// wraps ErrClosed, as for a Close while the actor restarts.
func TestCloseAfterCrashKeepsExitError(t *testing.T) {
	parallel(t) // its time goes in waiting
	for _, tc := range []struct {
		name    string
		leave   bool // a process the actor started holds its output open
		restart bool // Restart(1, time.Minute)
		spent   bool // its one restart taken before the crash
		crashed bool // Err must be the *ExitError; else it wraps ErrClosed
	}{
		{"output held open", true, false, false, true},
		{"output closed", false, false, false, true},
		{"restart budget spent", true, true, true, true},
		{"restart to follow", true, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			pidFile := t.TempDir() + "/sleeper"
			t.Cleanup(func() {
				if b, err := os.ReadFile(pidFile); err == nil {
					if pid, err := strconv.Atoi(string(b)); err == nil {
						killPID(pid)
					}
				}
			})
			opts := []uactor.Option{uactor.Output(io.Discard)}
			if tc.restart {
				opts = append(opts, uactor.Restart(1, time.Minute))
			}
			r := spawn(t, ctx, crasherKind, pidFile, opts...)
			if tc.spent {
				pid := r.PID()
				killExited(t, ctx, pid)
				for r.PID() == pid { // the one restart the budget allows
					select {
					case <-ctx.Done():
						t.Fatal("the actor did not restart")
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
			pid := r.PID()
			if _, err := crash.Call(ctx, r, tc.leave); !errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("the call that crashed the actor = %v; want ErrActorDied", err)
			}
			for !exitedWhole(t, pid) { // it has ended: whatever Close does, it is not what ended it
				select {
				case <-ctx.Done():
					t.Fatalf("process %d did not exit", pid)
				case <-time.After(time.Millisecond):
				}
			}
			r.Close()
			err := r.Err()
			if !tc.crashed {
				if !errors.Is(err, uactor.ErrClosed) {
					t.Fatalf("Err after a Close that ended a restart = %v; want ErrClosed", err)
				}
				return
			}
			var ee *uactor.ExitError
			if !errors.As(err, &ee) || !errors.Is(err, uactor.ErrActorDied) || errors.Is(err, uactor.ErrClosed) {
				t.Fatalf("Err after a crash and then Close = %v; want the crash's *ExitError, not ErrClosed", err)
			}
			if want := (uactor.ExitError{PID: pid, ExitCode: 3}); *ee != want {
				t.Fatalf("ExitError = %+v; want %+v", *ee, want)
			}
		})
	}
}
