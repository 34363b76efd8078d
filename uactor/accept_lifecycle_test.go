package uactor_test

// Acceptance checks of the lifecycle that the package promises (Done / Err,
// Restart, Output, Processes), written against the public API only, in
// combinations the other lifecycle tests leave out.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/uactor"
)

// ErrNoRoom is a sentinel that a constructor returns, registered so that it
// keeps its identity across processes.
var ErrNoRoom = uactor.RegisterError("uactor_test.NoRoom", errors.New("no room"))

// lifeRefuserKind's constructor always fails, wrapping ErrNoRoom.
var lifeRefuserKind = uactor.Define("life-refuser", func(_ context.Context, what string) (uactor.Empty, error) {
	return uactor.Empty{}, fmt.Errorf("cannot seat %s: %w", what, ErrNoRoom)
})

// A call in flight when the actor's process ends fails with ErrActorDied
// alone (its outcome is unknown), never with the *ExitError that says a
// call was not sent; Err then says exactly how the process ended.
func TestLifeInFlightAtDeath(t *testing.T) {
	for _, c := range []struct {
		name   string
		call   func(ctx context.Context, r uactor.Ref[*Counter]) error
		end    func(pid int)
		code   int
		signal syscall.Signal
	}{
		{"panic outside a handler", func(ctx context.Context, r uactor.Ref[*Counter]) error {
			_, err := Crash.Call(ctx, r, "boom")
			return err
		}, func(int) {}, 2, 0},
		{"SIGKILL", func(ctx context.Context, r uactor.Ref[*Counter]) error {
			_, err := Block.Call(ctx, r, time.Minute)
			return err
		}, killPID, -1, syscall.SIGKILL},
		{"exit 3", func(ctx context.Context, r uactor.Ref[*Counter]) error {
			_, err := Exit.Call(ctx, r, 3)
			return err
		}, func(int) {}, 3, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r := spawnCounter(t, ctx, uactor.Output(discardLines{}))
			pid := r.PID()
			errc := make(chan error, 1)
			go func() { errc <- c.call(ctx, r) }()
			// The call is in flight once the actor counts it (Crash and
			// Exit end the process themselves).
			for c.name == "SIGKILL" && calls(t, ctx, r) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			c.end(pid)
			var err error
			select {
			case err = <-errc:
			case <-ctx.Done():
				t.Fatal("the call in flight at the death hangs")
			}
			var ee *uactor.ExitError
			if !errors.Is(err, uactor.ErrActorDied) || errors.As(err, &ee) {
				t.Fatalf("call in flight = %v; want ErrActorDied and no *ExitError", err)
			}
			waitDone(t, r, 10*time.Second)
			if !errors.As(r.Err(), &ee) {
				t.Fatalf("Err = %v; want an *ExitError", r.Err())
			}
			if want := (uactor.ExitError{PID: pid, ExitCode: c.code, Signal: c.signal}); *ee != want {
				t.Fatalf("ExitError = %+v; want %+v", *ee, want)
			}
			if msg := r.Err().Error(); strings.Count(msg, "uactor:") != 1 {
				t.Errorf("Err says %q: want \"uactor:\" once", msg)
			}
		})
	}
}

// discardLines is an Output writer that keeps nothing.
type discardLines struct{}

func (discardLines) Write(p []byte) (int, error) { return len(p), nil }

// When the owner closes its actor, a connected ref learns that the actor is
// gone for good: Done closes and Err matches ErrActorDied; calls through it
// fail so too.
func TestLifeConnectedRefSeesOwnersClose(t *testing.T) {
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		t.Run(listen, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Listen(listen), uactor.AuthKey([]byte("k")))
			if err != nil {
				t.Fatal(err)
			}
			pid := r.PID()
			c := connect(t, ctx, r.Address(), "k")
			if _, err := Add.Call(ctx, c, 1); err != nil {
				t.Fatal(err)
			}
			if isDone(c) || c.Err() != nil {
				t.Fatalf("live: done %v, Err %v", isDone(c), c.Err())
			}
			r.Close()
			assertGone(t, pid, time.Second)
			seesActorDied(t, ctx, c, "a connected ref after the owner's Close")
		})
	}
}

// seesActorDied waits for r, a ref that is not the owner's, to find its
// actor gone: its Done closes with an Err matching ErrActorDied, and a
// call through it fails so too. what names r in a failure.
func seesActorDied(t *testing.T, ctx context.Context, r uactor.Ref[*Counter], what string) {
	t.Helper()
	waitDone(t, r, 10*time.Second)
	if !errors.Is(r.Err(), uactor.ErrActorDied) {
		t.Fatalf("%s: Err = %v; want ErrActorDied", what, r.Err())
	}
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("%s: a call = %v; want ErrActorDied", what, err)
	}
}

// A restarting actor's connected ref keeps working across a restart, and
// once the budget is spent it learns that the actor is gone for good, as
// does the owner's ref (with the last process's *ExitError); a copy of the
// ref that another process calls through fails with ErrActorDied there.
func TestLifeRestartBudgetSeenByOtherRefs(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, uactor.Restart(1, time.Minute), uactor.AuthKey([]byte("k")), uactor.Listen("tcp://127.0.0.1:0"))
	holder := spawnCounter(t, ctx, uactor.AuthKey([]byte("k")))
	c := connect(t, ctx, r.Address(), "k")
	if _, err := AddVia.Call(ctx, holder, r); err != nil {
		t.Fatal(err)
	}
	killAndWait(t, ctx, r)
	if got, err := GetPID.Call(ctx, c, uactor.Empty{}); err != nil || got != r.PID() {
		t.Fatalf("connected ref after the restart: pid %d, %v; want %d", got, err, r.PID())
	}
	if isDone(c) || c.Err() != nil {
		t.Fatalf("connected ref after the restart: done %v, Err %v", isDone(c), c.Err())
	}
	last := r.PID()
	killPID(last)
	waitDone(t, r, 10*time.Second)
	var ee *uactor.ExitError
	if !errors.As(r.Err(), &ee) || ee.PID != last || ee.Signal != syscall.SIGKILL || ee.ExitCode != -1 {
		t.Fatalf("owner's Err = %v; want the last process's (%d) *ExitError", r.Err(), last)
	}
	waitDone(t, c, 10*time.Second)
	if !errors.Is(c.Err(), uactor.ErrActorDied) {
		t.Fatalf("connected ref's Err = %v; want ErrActorDied", c.Err())
	}
	// In the holder the copy's call fails with ErrActorDied; the holder
	// itself is alive, so its caller gets a *RemoteError (ErrActorDied is
	// not a registered sentinel: it would say the holder died).
	var re *uactor.RemoteError
	if _, err := AddVia.Call(ctx, holder, r); !errors.As(err, &re) || errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("a call through a copy in another process = %v; want a *RemoteError", err)
	}
}

// After a restart, the new process's lines carry the new pid, and its
// command line names the kind.
func TestLifeRestartOutputAndCmdline(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	var out uactor.LockedBuffer
	r := spawnCounter(t, ctx, uactor.Restart(2, time.Minute), uactor.Output(&out))
	if _, err := Print.Call(ctx, r, 2); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, fmt.Sprintf("counter[%d] line 1 of 2", r.PID()), 5*time.Second)
	killAndWait(t, ctx, r)
	pid := r.PID()
	if _, err := Print.Call(ctx, r, 2); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, fmt.Sprintf("counter[%d] line 0 of 2", pid), 5*time.Second)
	out.WaitFor(t, fmt.Sprintf("counter[%d] line 1 of 2", pid), 5*time.Second)
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Skip("no /proc:", err)
	}
	if !strings.Contains(string(cmdline), "counter") {
		t.Fatalf("the restarted process's cmdline %q does not name its kind", cmdline)
	}
}

// Every line an actor wrote before its process exited on its own reaches
// Output's writer by the time Done closes: none is lost at the exit.
func TestLifeNoLineLostAtExit(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	var out uactor.LockedBuffer
	r := spawnCounter(t, ctx, uactor.Output(&out))
	const n = 2000
	if _, err := Print.Call(ctx, r, n); err != nil {
		t.Fatal(err)
	}
	Exit.Call(ctx, r, 0)
	waitDone(t, r, 10*time.Second)
	if got := strings.Count(out.String(), fmt.Sprintf(" of %d x", n)); got != n {
		t.Fatalf("%d of %d lines reached Output's writer by Done", got, n)
	}
}

// A ref to a value hosted in an actor's process learns that the value is
// gone when that process is killed: Done closes, Err and calls match
// ErrActorDied.
func TestLifeHostedInDeadActor(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx)
	shared, err := Shared.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	if _, err := Add.Call(ctx, shared, 1); err != nil {
		t.Fatal(err)
	}
	killPID(r.PID())
	waitDone(t, r, 10*time.Second)
	seesActorDied(t, ctx, shared, "the ref to a value hosted in a dead actor")
}

// A constructor's error that wraps a registered sentinel keeps its identity
// in Spawn's error, as a handler's does in a call's; its message arrives
// whole, and no process is left.
func TestLifeConstructorSentinel(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	err := spawnFails(t, ctx, lifeRefuserKind, "everyone")
	if err == nil || !errors.Is(err, ErrNoRoom) || !strings.Contains(err.Error(), "cannot seat everyone") {
		t.Fatalf("Spawn = %v; want the constructor's error, matching ErrNoRoom", err)
	}
	if strings.Count(err.Error(), "uactor:") != 1 {
		t.Errorf("Spawn's error says %q: want \"uactor:\" once", err)
	}
}

// Spawn with a ctx cancelled before the call starts nothing, and says so
// with ctx's error.
func TestLifeSpawnCancelledCtx(t *testing.T) {
	checkGoroutines(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := childPIDs(t)
	err := spawnFails(t, ctx, CounterKind, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Spawn with a cancelled ctx = %v; want context.Canceled", err)
	}
	for pid := range childPIDs(t) {
		if !before[pid] {
			t.Errorf("process %d left by a Spawn that failed", pid)
			killPID(pid)
		}
	}
}

// childPIDs returns the pids of this process's children (live or zombie).
func childPIDs(t *testing.T) map[int]bool {
	t.Helper()
	pids := map[int]bool{}
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			var pid int
			fmt.Sscan(f, &pid)
			pids[pid] = true
		}
	}
	return pids
}

// An actor spawned from a goroutine that locked its thread and ended
// (which retires the thread, and would fire the parent-death signal of a
// child forked from it) lives on while its owner does.
func TestLifeSpawnFromRetiredThread(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	type spawned struct {
		r   uactor.Ref[*Counter]
		err error
	}
	got := make(chan spawned, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		r, err := uactor.Spawn(ctx, CounterKind, 0)
		got <- spawned{r, err}
	}()
	s := <-got
	if s.err != nil {
		t.Fatal(s.err)
	}
	r := s.r
	t.Cleanup(func() {
		r.Close()
		assertGone(t, r.PID(), time.Second)
	})
	// Give the retired thread's exit, and a signal it would send, time to land.
	time.Sleep(300 * time.Millisecond)
	if _, err := Add.Call(ctx, r, 1); err != nil || isDone(r) || proctest.Gone(r.PID()) {
		t.Fatalf("after the spawning thread exited: call %v, done %v (%v)", err, isDone(r), r.Err())
	}
}

// Nothing outlives an actor's end, however it ends: no process of it
// (not even a zombie) and no descriptor in the owner, with collections off
// so that no finalizer closes what the code forgot.
func TestLifeNothingLeftBehind(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, ctx context.Context)
	}{
		{"Close", func(t *testing.T, ctx context.Context) {
			r, err := uactor.Spawn(ctx, CounterKind, 0)
			if err != nil {
				t.Fatal(err)
			}
			Add.Call(ctx, r, 1)
			r.Close()
		}},
		{"Close on TCP with Output and a connected ref", func(t *testing.T, ctx context.Context) {
			var out uactor.LockedBuffer
			r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey([]byte("k")), uactor.Output(&out))
			if err != nil {
				t.Fatal(err)
			}
			c, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("k"))
			if err != nil {
				t.Fatal(err)
			}
			Print.Call(ctx, c, 3)
			c.Close()
			r.Close()
		}},
		{"exit, then Done", func(t *testing.T, ctx context.Context) {
			r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Output(discardLines{}))
			if err != nil {
				t.Fatal(err)
			}
			Exit.Call(ctx, r, 3)
			waitDone(t, r, 10*time.Second)
			r.Close()
		}},
		{"restart budget spent", func(t *testing.T, ctx context.Context) {
			r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Restart(1, time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			killAndWait(t, ctx, r)
			killPID(r.PID())
			waitDone(t, r, 10*time.Second)
			r.Close()
		}},
		{"Close during a restart", func(t *testing.T, ctx context.Context) {
			r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Restart(1, time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			killPID(r.PID())
			r.Close()
		}},
		{"constructor error", func(t *testing.T, ctx context.Context) {
			if err := spawnFails(t, ctx, CounterKind, -1); err == nil {
				t.Fatal("Spawn did not fail")
			}
		}},
		{"constructor outlasts Spawn's deadline", func(t *testing.T, ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			if err := spawnFails(t, ctx, SlowKind, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Spawn = %v; want DeadlineExceeded", err)
			}
		}},
		{"Host and Connect", func(t *testing.T, ctx context.Context) {
			h, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey([]byte("k")))
			if err != nil {
				t.Fatal(err)
			}
			c, err := uactor.Connect(ctx, CounterKind, h.Address(), []byte("k"))
			if err != nil {
				t.Fatal(err)
			}
			Add.Call(ctx, c, 1)
			c.Close()
			h.Close()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			c.run(t, ctx) // whatever a first run makes once
			kids, fds := childPIDs(t), openFDs(t)
			for range 3 {
				c.run(t, ctx)
			}
			for pid := range childPIDs(t) {
				if !kids[pid] {
					t.Errorf("process %d (state %c) outlived its actor's end", pid, proctest.State(pid))
					killPID(pid)
				}
			}
			if after := openFDs(t); after > fds+2 { // slack for what other goroutines open meanwhile
				t.Errorf("open descriptors: %d before, %d after three more runs", fds, after)
			}
		})
	}
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(fds)
}

// A restarting actor's own actors go down with the process that spawned
// them: a crash of the middle of a tree, which then restarts, leaves no
// grandchild of the dead process running.
func TestLifeRestartEndsOldSubtree(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx, uactor.Restart(1, time.Minute))
	grandchild, err := SpawnChild.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	killAndWait(t, ctx, r)
	assertGone(t, grandchild, 5*time.Second)
}

// A SIGTERM that its owner did not send, while a call is in flight, ends
// the actor by that signal: the call fails with ErrActorDied, and Err
// names the signal.
func TestLifeSIGTERMWhileBusy(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx)
	pid := r.PID()
	errc := make(chan error, 1)
	go func() {
		_, err := Block.Call(ctx, r, time.Minute)
		errc <- err
	}()
	for calls(t, ctx, r) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	select {
	case err := <-errc:
		var ee *uactor.ExitError
		if !errors.Is(err, uactor.ErrActorDied) || errors.As(err, &ee) {
			t.Fatalf("call in flight = %v; want ErrActorDied and no *ExitError", err)
		}
	case <-ctx.Done():
		t.Fatal("the call in flight at the SIGTERM hangs")
	}
	waitDone(t, r, 10*time.Second)
	var ee *uactor.ExitError
	if !errors.As(r.Err(), &ee) || *ee != (uactor.ExitError{PID: pid, ExitCode: -1, Signal: syscall.SIGTERM}) {
		t.Fatalf("Err = %v; want process %d's *ExitError, by SIGTERM", r.Err(), pid)
	}
}

// An actor on an address the owner fixed (a Unix socket path, a TCP port)
// restarts on that same address, and a ref connected before the crash
// reaches the new process.
func TestLifeRestartOnFixedAddress(t *testing.T) {
	for _, c := range []struct {
		name   string
		listen func(t *testing.T) string
	}{
		{"unix path", func(t *testing.T) string { return "unix://" + t.TempDir() + "/fixed.sock" }},
		{"tcp port", func(t *testing.T) string { return "tcp://127.0.0.1:" + freePort(t) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r := spawnCounter(t, ctx, uactor.Restart(2, time.Minute), uactor.Listen(c.listen(t)), uactor.AuthKey([]byte("k")))
			addr := r.Address()
			conn := connect(t, ctx, addr, "k")
			if _, err := Add.Call(ctx, conn, 1); err != nil {
				t.Fatal(err)
			}
			killAndWait(t, ctx, r)
			if r.Address() != addr {
				t.Fatalf("address after the restart %s; want %s", r.Address(), addr)
			}
			if got, err := GetPID.Call(ctx, conn, uactor.Empty{}); err != nil || got != r.PID() {
				t.Fatalf("connected ref after the restart: pid %d, %v; want %d", got, err, r.PID())
			}
		})
	}
}
