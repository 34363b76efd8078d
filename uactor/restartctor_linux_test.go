package uactor_test

// Restart when the constructor misbehaves the second time: it fails, the
// process exits in it, or it never returns.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Moody is an actor whose constructor does what the file "mode" in the
// directory it is given says, read as it starts: "" (or no file) succeed,
// "fail" return an error, "exit" end the process, "hang" never return, "slow" take 1.5 s. Each
// start first appends its pid to the file "pids" there.
type Moody struct{}

func (Moody) PID(context.Context, uactor.Empty) (int, error) { return os.Getpid(), nil }

// PIDOf calls r from this process, through its copy of r.
func (Moody) PIDOf(ctx context.Context, r uactor.Ref[Moody]) (int, error) {
	return MoodyPID.Call(ctx, r, uactor.Empty{})
}

var (
	MoodyKind = uactor.Define("moody", func(ctx context.Context, dir string) (Moody, error) {
		f, err := os.OpenFile(filepath.Join(dir, "pids"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return Moody{}, err
		}
		_, err = f.Write(strconv.AppendInt(nil, int64(os.Getpid()), 10))
		f.Write([]byte{'\n'})
		f.Close()
		if err != nil {
			return Moody{}, err
		}
		mode, _ := os.ReadFile(filepath.Join(dir, "mode"))
		switch string(mode) {
		case "fail":
			return Moody{}, errors.New("moody refuses to start")
		case "exit":
			os.Exit(7)
		case "hang":
			select {} // not even its context ends it
		case "slow":
			time.Sleep(1500 * time.Millisecond)
		}
		return Moody{}, nil
	})
	MoodyPID   = uactor.Expose(MoodyKind, "pid", Moody.PID)
	MoodyPIDOf = uactor.Expose(MoodyKind, "pidof", Moody.PIDOf)
)

// moodyPIDs returns the pids of the moody processes started in dir so far.
func moodyPIDs(t *testing.T, dir string) []int {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(dir, "pids"))
	var pids []int
	for _, l := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(l)
		if err != nil {
			t.Fatalf("pids file: %v", err)
		}
		pids = append(pids, pid)
	}
	return pids
}

// setMood sets what the next start of a moody actor in dir does.
func setMood(t *testing.T, dir, mode string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "mode"), []byte(mode), 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitStarts waits until n moody processes have started in dir.
func waitStarts(t *testing.T, ctx context.Context, dir string, n int) {
	t.Helper()
	for len(moodyPIDs(t, dir)) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("%d starts of the moody actor, not %d", len(moodyPIDs(t, dir)), n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// killExited kills pid and waits until it has exited whole, so that a call
// made next is not one in flight at the crash.
func killExited(t *testing.T, ctx context.Context, pid int) {
	t.Helper()
	killPID(pid)
	for !exitedWhole(t, pid) {
		select {
		case <-ctx.Done():
			t.Fatalf("process %d did not exit", pid)
		case <-time.After(time.Millisecond):
		}
	}
}

// spawnMoody spawns a moody actor in a fresh directory, which it returns;
// the test closes it, and makes sure every process it started is gone.
func spawnMoody(t *testing.T, ctx context.Context, opts ...uactor.Option) (uactor.Ref[Moody], string) {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { // after the ref's Close, registered below
		for _, pid := range moodyPIDs(t, dir) {
			assertGone(t, pid, 5*time.Second)
		}
	})
	return spawn(t, ctx, MoodyKind, dir, opts...), dir
}

// A restart whose constructor fails, or whose process exits in it, counts
// against the budget; once it is spent the actor is gone: Done closes, Err
// is the *ExitError of the process that died serving and says why the
// restart failed, calls fail with ErrActorDied, and no process is left.
func TestRestartConstructorFails(t *testing.T) {
	for _, tc := range []struct{ mode, says string }{
		{"fail", "moody refuses to start"},
		{"exit", "exited with code 7 before it was ready"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			r, dir := spawnMoody(t, ctx, uactor.Restart(2, time.Minute))
			setMood(t, dir, tc.mode)
			pid := r.PID()
			killPID(pid)
			waitDone(t, r, 30*time.Second)
			var ee *uactor.ExitError
			if err := r.Err(); !errors.Is(err, uactor.ErrActorDied) || !errors.As(err, &ee) || ee.PID != pid ||
				!strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Err = %v; want process %d's *ExitError, saying %q", err, pid, tc.says)
			}
			if n := len(moodyPIDs(t, dir)); n != 3 {
				t.Errorf("%d starts; want 3: the first and two restarts", n)
			}
			if _, err := MoodyPID.Call(ctx, r, uactor.Empty{}); !errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("call once the actor is gone = %v; want ErrActorDied", err)
			}
		})
	}
}

// Close while a restart's constructor never returns: Close returns, the
// process that hangs is killed and reaped, Err wraps ErrClosed, and a call
// that waited for the restart returns.
func TestCloseDuringHangingRestart(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r, dir := spawnMoody(t, ctx, uactor.Restart(3, time.Minute))
	setMood(t, dir, "hang")
	killPID(r.PID())
	waitStarts(t, ctx, dir, 2)
	errc := make(chan error, 1)
	go func() {
		_, err := MoodyPID.Call(context.Background(), r, uactor.Empty{})
		errc <- err
	}()
	closed := make(chan struct{})
	go func() {
		r.Close()
		close(closed)
	}()
	receive(t, closed, 30*time.Second, "Close did not return")
	if !errors.Is(r.Err(), uactor.ErrClosed) {
		t.Fatalf("Err after Close = %v; want ErrClosed", r.Err())
	}
	if err := receive(t, errc, 30*time.Second, "the call waiting for the restart did not return"); !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("call waiting for the restart = %v; want ErrClosed", err)
	}
	for _, pid := range moodyPIDs(t, dir) {
		assertGone(t, pid, 5*time.Second)
		assertReaped(t, pid)
	}
}

// The ctx given to Spawn bounds the first start only: cancelled once Spawn
// returned, it neither ends the actor nor stops its restarts.
func TestRestartOutlivesSpawnContext(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	sctx, cancel := context.WithCancel(ctx)
	r, _ := spawnMoody(t, sctx, uactor.Restart(3, time.Minute))
	cancel()
	pid := r.PID()
	killExited(t, ctx, pid)
	got, err := MoodyPID.Call(ctx, r, uactor.Empty{})
	if err != nil || got == pid || got != r.PID() {
		t.Fatalf("call after a restart, Spawn's ctx cancelled: pid %d, %v; want %d", got, err, r.PID())
	}
}

// The window: a restart budget of one within a window allows one more
// restart once the first has left the window, and none before.
func TestRestartWindow(t *testing.T) {
	parallel(t) // its time goes in waiting
	const window = 3 * time.Second
	ctx := testCtx(t, 60*time.Second)
	r, _ := spawnMoody(t, ctx, uactor.Restart(1, window))
	pid := r.PID()
	killExited(t, ctx, pid)
	if _, err := MoodyPID.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatalf("first restart: %v", err)
	}
	time.Sleep(window + 200*time.Millisecond) // the restart took place before the call returned
	pid = r.PID()
	killExited(t, ctx, pid)
	if got, err := MoodyPID.Call(ctx, r, uactor.Empty{}); err != nil || got == pid {
		t.Fatalf("restart after the first left the window: pid %d, %v", got, err)
	}
	pid = r.PID()
	killPID(pid)
	waitDone(t, r, 30*time.Second)
	var ee *uactor.ExitError
	if !errors.As(r.Err(), &ee) || ee.PID != pid {
		t.Fatalf("a second restart within the window: Err = %v; want process %d's *ExitError", r.Err(), pid)
	}
}

// A restart whose constructor never returns is bounded by the time Spawn's
// ctx gave the first start: it fails, counts against the budget, and once
// that is spent the actor is gone, so that a call waiting for it without a
// deadline of its own returns, with ErrActorDied.
func TestRestartHangingConstructorBounded(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 90*time.Second)
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	r, dir := spawnMoody(t, sctx, uactor.Restart(2, time.Minute))
	setMood(t, dir, "hang")
	pid := r.PID()
	killExited(t, ctx, pid)
	errc := make(chan error, 1)
	go func() {
		_, err := MoodyPID.Call(context.Background(), r, uactor.Empty{})
		errc <- err
	}()
	if err := receive(t, errc, 60*time.Second, "a call waiting for a restart that hangs did not return"); !errors.Is(err, uactor.ErrActorDied) ||
		errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call waiting for a restart that hangs = %v; want ErrActorDied, and no deadline of its own", err)
	}
	waitDone(t, r, 10*time.Second)
	var ee *uactor.ExitError
	if err := r.Err(); !errors.As(err, &ee) || ee.PID != pid || !strings.Contains(err.Error(), "not serving within") {
		t.Fatalf("Err = %v; want process %d's *ExitError, saying the restart did not serve in time", err, pid)
	}
	pids := moodyPIDs(t, dir)
	if len(pids) != 3 {
		t.Errorf("%d starts; want 3: the first and two restarts", len(pids))
	}
	for _, p := range pids {
		assertGone(t, p, 5*time.Second)
		assertReaped(t, p)
	}
}

// Calls made while a slow restart runs, through the owner's ref and through
// a copy in another process that was connected before the crash, wait for
// the new process and reach it.
func TestRestartSlowCallsWait(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 60*time.Second)
	r, dir := spawnMoody(t, ctx, uactor.Restart(3, time.Minute))
	holder, _ := spawnMoody(t, ctx)
	if got, err := MoodyPIDOf.Call(ctx, holder, r); err != nil || got != r.PID() {
		t.Fatalf("through the holder's copy: pid %d, %v; want %d", got, err, r.PID())
	}
	setMood(t, dir, "slow")
	pid := r.PID()
	killExited(t, ctx, pid)
	type answer struct {
		via string
		pid int
		err error
	}
	answers := make(chan answer, 2)
	go func() {
		got, err := MoodyPID.Call(ctx, r, uactor.Empty{})
		answers <- answer{"the owner's ref", got, err}
	}()
	go func() {
		got, err := MoodyPIDOf.Call(ctx, holder, r)
		answers <- answer{"the holder's copy", got, err}
	}()
	for range 2 {
		a := receive(t, answers, 30*time.Second, "a call made during the restart did not return")
		if a.err != nil || a.pid == pid || a.pid != r.PID() {
			t.Errorf("a call through %s during the restart: pid %d, %v; want the new process, %d", a.via, a.pid, a.err, r.PID())
		}
	}
}

// Close while restarts keep failing, between them (the backoff) or in one:
// Close returns, Err wraps ErrClosed, and every process is reaped.
func TestCloseDuringFailingRestarts(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r, dir := spawnMoody(t, ctx, uactor.Restart(1000, 0))
	setMood(t, dir, "fail")
	killExited(t, ctx, r.PID())
	waitStarts(t, ctx, dir, 6) // the backoff has grown past its first steps
	closed := make(chan struct{})
	go func() {
		r.Close()
		close(closed)
	}()
	receive(t, closed, 30*time.Second, "Close did not return")
	if !errors.Is(r.Err(), uactor.ErrClosed) {
		t.Fatalf("Err after Close = %v; want ErrClosed", r.Err())
	}
	for _, pid := range moodyPIDs(t, dir) {
		assertGone(t, pid, 5*time.Second)
		assertReaped(t, pid)
	}
}
