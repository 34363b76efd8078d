package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// heldStandby, in a standby's environment, names a file: the standby
// starts a sleep that inherits its stderr, so that the pipe outlives the
// standby for a while (as a descendant's would), and appends its pid there.
const heldStandby = "UACTOR_TEST_STANDBY_HELD"

// holdIfStandby, in a process started as a standby, starts that sleep.
func holdIfStandby() {
	f := os.Getenv(heldStandby)
	if f == "" || !slices.Contains(os.Args[1:], "uactor:(standby)") {
		return
	}
	cmd := exec.Command("sleep", "60")
	cmd.Stderr = os.Stderr
	if cmd.Start() != nil {
		return
	}
	if out, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
		fmt.Fprintln(out, cmd.Process.Pid)
		out.Close()
	}
}

// Standby(ctx, 0) with a ctx that has ended still ends the standbys, as
// Standby(ctx, n) still starts them, but returns ctx's error rather than
// wait for them to be reaped. Before, it waited for each standby it took
// out of the waiting ones to be reaped, whatever ctx said, and returned
// nil: here where each takes a while, its output held by a descendant.
func TestStandbyZeroHeedsCtx(t *testing.T) {
	needProc(t)
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep to hold a standby's output")
	}
	for _, c := range []struct {
		name string
		ctx  func(context.Context) context.Context
		want error
	}{
		{"cancelled", func(ctx context.Context) context.Context {
			c, cancel := context.WithCancel(ctx)
			cancel()
			return c
		}, context.Canceled},
		{"expired", func(ctx context.Context) context.Context {
			c, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return c
		}, context.DeadlineExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			held := filepath.Join(t.TempDir(), "sleeps")
			t.Setenv(heldStandby, held)
			t.Cleanup(func() {
				b, _ := os.ReadFile(held)
				for _, s := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(s); err == nil {
						syscall.Kill(pid, syscall.SIGKILL)
					}
				}
			})
			s := keepStandbys(t, ctx, 2)
			if err := uactor.Standby(c.ctx(ctx), 0); !errors.Is(err, c.want) {
				t.Fatalf("Standby(0) with a context that ended: %v; want %v", err, c.want)
			}
			if err := uactor.Standby(ctx, 0); err != nil { // waits for them to be reaped
				t.Fatal(err)
			}
			for _, pid := range s {
				assertReaped(t, pid)
			}
		})
	}
}
