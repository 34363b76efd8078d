package uactor_test

// Restart: an actor whose process dies is started again, under the same
// identity, within a budget.

import (
	"context"
	"errors"
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// spawnRestarting spawns a counter starting at 5 that restarts, and that
// the test stops when it ends.
func spawnRestarting(t *testing.T, ctx context.Context, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	return spawn(t, ctx, CounterKind, 5, append([]uactor.Option{uactor.Restart(3, time.Minute)}, opts...)...)
}

// killAndWait kills r's process and returns once a call works again, on
// the restarted process.
func killAndWait(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) {
	t.Helper()
	pid := r.PID()
	killPID(pid)
	for r.PID() == pid {
		select {
		case <-ctx.Done():
			t.Fatal("the actor did not restart")
		case <-time.After(5 * time.Millisecond):
		}
	}
	if _, err := Add.Call(ctx, r, 0); err != nil {
		t.Fatalf("first call after the restart: %v", err)
	}
	assertGone(t, pid, time.Second)
}

// A restarted actor keeps its identity, its address and its spawn argument:
// the owner's ref, a copy forwarded to another actor, and a copy that was
// connected before the crash all reach it again; PID reports the new process.
func TestRestartKeepsIdentity(t *testing.T) {
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		t.Run(listen, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			r := spawnRestarting(t, ctx, uactor.Listen(listen))
			holder := spawnCounter(t, ctx)
			var conn uactor.Ref[*Counter] // a copy that dials, as in another process
			b, _ := r.MarshalBinary()
			if err := conn.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := Add.Call(ctx, conn, 0); err != nil {
				t.Fatal(err)
			}
			addr, pid := r.Address(), r.PID()
			if n, err := AddVia.Call(ctx, holder, r); err != nil || n != 6 {
				t.Fatalf("through the forwarded copy: %d, %v", n, err)
			}
			killAndWait(t, ctx, r)
			if r.PID() == pid || r.Address() != addr || isDone(r) {
				t.Fatalf("after the restart: pid %d (was %d), address %s (was %s), done %v", r.PID(), pid, r.Address(), addr, isDone(r))
			}
			if got, err := GetPID.Call(ctx, r, uactor.Empty{}); err != nil || got != r.PID() {
				t.Fatalf("the owner's ref reaches pid %d, %v; PID() says %d", got, err, r.PID())
			}
			if n, err := AddVia.Call(ctx, holder, r); err != nil || n != 6 {
				t.Fatalf("the forwarded copy after the restart: %d, %v; want 6 (a new process, started at 5 again)", n, err)
			}
			if got, err := GetPID.Call(ctx, conn, uactor.Empty{}); err != nil || got != r.PID() {
				t.Fatalf("the copy connected before the crash reaches pid %d, %v; want %d", got, err, r.PID())
			}
			if isDone(conn) {
				t.Fatalf("the copy's Done closed: %v", conn.Err())
			}
		})
	}
}

// A call in flight when the actor dies fails with ErrActorDied, and the
// restarted actor never runs it.
func TestRestartInFlightCallNotRetried(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnRestarting(t, ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := Block.Call(ctx, r, time.Minute)
		errc <- err
	}()
	waitCalls(t, ctx, r, 1)
	killPID(r.PID())
	if err := <-errc; !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("call in flight at the crash = %v; want ErrActorDied", err)
	}
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("the restarted actor ran %d calls (%v); want 0: nothing is retried", n, err)
	}
}

// An os.Exit(0) the owner did not ask for is an exit like any other, which
// Restart restarts: a clean exit code does not mean the owner closed it.
func TestRestartAfterCleanExit(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnRestarting(t, ctx)
	pid := r.PID()
	if _, err := Exit.Call(ctx, r, 0); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("the call that exits = %v; want ErrActorDied", err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 6 {
		t.Fatalf("after os.Exit(0): Add = %d, %v; want 6 from the restarted actor", n, err)
	}
	if r.PID() == pid || isDone(r) {
		t.Fatalf("after os.Exit(0): pid %d (was %d), done %v (%v)", r.PID(), pid, isDone(r), r.Err())
	}
}

// More restarts than the budget allows within the window: the actor stays
// dead, Done closes with the last process's *ExitError, calls fail with
// ErrActorDied, and no process and no socket directory remains.
func TestRestartBudget(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, uactor.Restart(2, time.Minute))
	dir := socketDir(r.Address())
	killAndWait(t, ctx, r)
	killAndWait(t, ctx, r)
	if isDone(r) {
		t.Fatalf("done after two restarts of two: %v", r.Err())
	}
	last := r.PID()
	killPID(last)
	waitDone(t, r, 10*time.Second)
	var ee *uactor.ExitError
	if !errors.As(r.Err(), &ee) || ee.PID != last || ee.Signal != syscall.SIGKILL {
		t.Fatalf("Err = %v; want the last process's (%d) *ExitError, killed", r.Err(), last)
	}
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("call after the budget ran out = %v; want ErrActorDied", err)
	}
	assertGone(t, last, time.Second)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("socket directory %s outlived its actor (%v)", dir, err)
	}
}

// Close while the actor restarts: the restart stops, Done closes with
// ErrClosed, and no process is left.
func TestCloseDuringRestart(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnRestarting(t, ctx)
	pid := r.PID()
	killPID(pid)
	r.Close()
	if !isDone(r) || !errors.Is(r.Err(), uactor.ErrClosed) {
		t.Fatalf("after Close: done %v, Err %v", isDone(r), r.Err())
	}
	assertGone(t, pid, time.Second)
	assertGone(t, r.PID(), time.Second)
}

// A crash and a restart leave no descriptor of the dead process open in
// the owner: with collections off, so that no finalizer closes what the
// code forgot, ten of them leave as many open as there were before.
func TestRestartLeaksNoDescriptors(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	r := spawn(t, ctx, CounterKind, 5, uactor.Restart(100, time.Minute))
	killAndWait(t, ctx, r) // whatever a first restart makes once
	open := func() int {
		fds, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd:", err)
		}
		return len(fds)
	}
	before := open()
	for range 10 {
		killAndWait(t, ctx, r)
	}
	if after := open(); after > before+2 { // slack for what other goroutines open meanwhile
		t.Errorf("open descriptors: %d before ten crashes and restarts, %d after", before, after)
	}
}

// An actor ended by a SIGTERM that its owner did not send restarts at its
// address with its refs working, copies that dial included: the process
// leaves its directory to the owner, which lives, instead of removing it
// as it does when the owner is gone.
func TestRestartAfterSIGTERMKeepsCopies(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 30*time.Second)
	r := spawn(t, ctx, CounterKind, 5, uactor.Restart(100, time.Minute))
	var conn uactor.Ref[*Counter] // a copy that dials, as in another process
	b, _ := r.MarshalBinary()
	if err := conn.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 3 {
		if got, err := GetPID.Call(ctx, conn, uactor.Empty{}); err != nil || got != r.PID() {
			t.Fatalf("after %d SIGTERMs, the copy reaches pid %d, %v; want %d", i, got, err, r.PID())
		}
		pid := r.PID()
		syscall.Kill(pid, syscall.SIGTERM)
		for r.PID() == pid {
			select {
			case <-ctx.Done():
				t.Fatal("the actor did not restart")
			case <-time.After(time.Millisecond):
			}
		}
		if _, err := Add.Call(ctx, r, 0); err != nil {
			t.Fatalf("the owner's call after the restart: %v", err)
		}
	}
}
