package uactor_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Exit ends the actor's process at once, with code.
func (c *Counter) Exit(ctx context.Context, code int) (uactor.Empty, error) {
	os.Exit(code)
	return uactor.Empty{}, nil
}

var Exit = uactor.Expose(CounterKind, "exit", (*Counter).Exit)

// waitDone fails the test unless r's Done closes within d.
func waitDone(t *testing.T, r uactor.Ref[*Counter], d time.Duration) {
	t.Helper()
	select {
	case <-r.Done():
	case <-time.After(d):
		t.Fatalf("Done still open %v after the actor's end", d)
	}
}

func isDone[A any](r uactor.Ref[A]) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// An owner's ref learns exactly how its actor's process ended, whether it
// crashed while busy or while idle; later calls fail with ErrActorDied,
// never with the error of a dial to a socket nobody serves.
func TestDoneExitError(t *testing.T) {
	for _, c := range []struct {
		name   string
		end    func(r uactor.Ref[*Counter])
		code   int
		signal syscall.Signal
	}{
		{"exit 3 in a handler", func(r uactor.Ref[*Counter]) { Exit.Call(context.Background(), r, 3) }, 3, 0},
		{"SIGKILL while idle", func(r uactor.Ref[*Counter]) { killPID(r.PID()) }, -1, syscall.SIGKILL},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := spawnCounter(t, ctx)
			pid := r.PID()
			if _, err := Add.Call(ctx, r, 1); err != nil {
				t.Fatal(err)
			}
			if isDone(r) || r.Err() != nil {
				t.Fatalf("a live actor's ref: done %v, Err %v", isDone(r), r.Err())
			}
			c.end(r)
			waitDone(t, r, 10*time.Second)
			var ee *uactor.ExitError
			if !errors.As(r.Err(), &ee) || !errors.Is(r.Err(), uactor.ErrActorDied) {
				t.Fatalf("Err = %v; want an *ExitError matching ErrActorDied", r.Err())
			}
			if want := (uactor.ExitError{PID: pid, ExitCode: c.code, Signal: c.signal}); *ee != want {
				t.Fatalf("ExitError = %+v; want %+v", *ee, want)
			}
			if !processGone(pid) {
				t.Fatal("Done closed before the process was reaped")
			}
			_, err := Add.Call(ctx, r, 1)
			if !errors.Is(err, uactor.ErrActorDied) || strings.Contains(err.Error(), "dial") {
				t.Fatalf("call after the crash = %v; want ErrActorDied and no dial error", err)
			}
		})
	}
}

// After Close, Done is closed and Err wraps ErrClosed: for the owner's ref
// of a spawned actor, a hosted one, and a connected one.
func TestDoneAfterClose(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	spawned, err := uactor.Spawn(ctx, CounterKind, 0, uactor.AuthKey([]byte("k")))
	if err != nil {
		t.Fatal(err)
	}
	defer spawned.Close()
	hosted, err := uactor.Host(ctx, CounterKind, &Counter{})
	if err != nil {
		t.Fatal(err)
	}
	connected, err := uactor.Connect(ctx, CounterKind, spawned.Address(), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []uactor.Ref[*Counter]{connected, hosted, spawned} {
		r.Close()
		if !isDone(r) || !errors.Is(r.Err(), uactor.ErrClosed) {
			t.Errorf("%s after Close: done %v, Err %v; want done and ErrClosed", r.Address(), isDone(r), r.Err())
		}
	}
	var zero uactor.Ref[*Counter]
	if !isDone(zero) || zero.Err() == nil {
		t.Error("the zero Ref's Done is open")
	}
}

// A connected ref learns that its actor is gone from its connection: when
// the process dies (no restart follows), and when keepalive finds it silent.
func TestDoneConnectedRef(t *testing.T) {
	t.Run("process killed", func(t *testing.T) {
		ctx := testCtx(t, 30*time.Second)
		r := keyedCounter(t, "k")
		c, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("k"), uactor.DialTimeout(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if isDone(c) {
			t.Fatal("Done closed on a live actor")
		}
		killPID(r.PID())
		waitDone(t, c, 10*time.Second)
		if !errors.Is(c.Err(), uactor.ErrActorDied) {
			t.Fatalf("Err = %v; want ErrActorDied", c.Err())
		}
		if _, err := Add.Call(ctx, c, 1); !errors.Is(err, uactor.ErrActorDied) {
			t.Fatalf("call through a ref whose actor is gone = %v; want ErrActorDied", err)
		}
	})
	t.Run("keepalive", func(t *testing.T) {
		ctx := testCtx(t, 30*time.Second)
		r := keyedCounter(t, "k")
		c, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("k"), uactor.Keepalive(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stop(t, r.PID())
		defer syscall.Kill(r.PID(), syscall.SIGCONT)
		waitDone(t, c, 10*time.Second)
		if !errors.Is(c.Err(), uactor.ErrActorDied) {
			t.Fatalf("Err = %v; want ErrActorDied", c.Err())
		}
	})
}

// spawnRestarting spawns a counter starting at 5 that restarts, and that
// the test stops when it ends.
func spawnRestarting(t *testing.T, ctx context.Context, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	r, err := uactor.Spawn(ctx, CounterKind, 5, append([]uactor.Option{uactor.Restart(3, time.Minute)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		assertGone(t, r.PID(), time.Second)
	})
	return r
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
	for n := int64(0); n == 0; n, _ = Calls.Call(ctx, r, uactor.Empty{}) {
		time.Sleep(5 * time.Millisecond)
	}
	killPID(r.PID())
	if err := <-errc; !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("call in flight at the crash = %v; want ErrActorDied", err)
	}
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("the restarted actor ran %d calls (%v); want 0: nothing is retried", n, err)
	}
}

// More restarts than the budget allows within the window: the actor stays
// dead, Done closes with the last process's *ExitError, calls fail with
// ErrActorDied, and no process and no socket directory remains.
func TestRestartBudget(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Restart(2, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := filepath.Dir(strings.TrimPrefix(r.Address(), "unix://"))
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
