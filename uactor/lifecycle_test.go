package uactor_test

// The end of an actor: Close, and what its refs learn of its end (Done, Err).

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/uactor"
)

func TestCloseReapsAndRefuses(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	r.Close()
	assertReaped(t, r.PID()) // Close reaps: not even a zombie remains
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("call after Close = %v; want ErrClosed", err)
	}
	if _, err := os.Stat(strings.TrimPrefix(r.Address(), "unix://")); !os.IsNotExist(err) {
		t.Fatalf("socket %s left behind (err %v)", r.Address(), err)
	}
}

// The owner closes an actor with 100 calls in flight, 80 shorter than the
// grace period and 20 far longer: Close lets the short ones complete and
// then kills, so the long ones fail, and none hangs; the process is reaped
// (not even a zombie), and no goroutine is left behind here.
func TestCloseWithCallsInFlight(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	const grace = time.Second
	r := spawnCounter(t, ctx, uactor.GracePeriod(grace))
	pid := r.PID()
	type result struct {
		long bool
		ok   bool
		err  error
		at   time.Time
	}
	results := make(chan result, 100)
	var wg sync.WaitGroup
	for i := range 100 {
		long := i%5 == 0
		d := 200 * time.Millisecond
		if long {
			d = 30 * time.Second
		}
		wg.Go(func() {
			ok, err := Block.Call(ctx, r, d)
			results <- result{long, ok, err, time.Now()}
		})
	}
	waitCalls(t, ctx, r, 100) // Close once all 100 are running in the actor
	start := time.Now()
	r.Close()
	closeTime := time.Since(start)
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	receive(t, waited, 20*time.Second, "calls in flight not all returned after Close began") // a hang guard: the 30 s calls would outlast it
	close(results)
	var shortOK, longFailed int
	var slowest time.Duration
	kinds := map[string]int{}
	for res := range results {
		slowest = max(slowest, res.at.Sub(start))
		switch {
		case !res.long && res.err == nil && res.ok:
			shortOK++
		case !res.long:
			t.Errorf("a 200 ms call during Close = %v, %v; want it to complete within the grace period", res.ok, res.err)
		case res.err != nil:
			longFailed++
			switch {
			case errors.Is(res.err, uactor.ErrActorDied):
				kinds["ErrActorDied"]++
			case errors.Is(res.err, uactor.ErrClosed):
				kinds["ErrClosed"]++
			default:
				kinds[res.err.Error()]++
			}
		default:
			t.Errorf("a 30 s call returned %v with no error during Close", res.ok)
		}
	}
	t.Logf("Close took %v; the last call returned %v after Close began; %d/80 short calls completed, %d/20 long ones failed %v",
		closeTime, slowest, shortOK, longFailed, kinds)
	assertReaped(t, pid)
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("a call after Close = %v; want ErrClosed", err)
	}
}

// A call in flight on a value that a spawned actor hosts (uActor's result
// proxy) when the owner closes the actor gets the grace period too: the
// value is part of the actor, and Close promises calls in flight the grace
// period before the process is killed.
func TestCloseGivesHostedValuesCallsTheGrace(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx, uactor.GracePeriod(5*time.Second))
	shared, err := Shared.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shared.Close() })
	if ok, err := blockThroughClose(t, ctx, shared, 500*time.Millisecond, r); err != nil || !ok {
		t.Errorf("a 500 ms call in flight on the actor's hosted value during Close (grace 5 s) = %v, %v; want it to finish", ok, err)
	}
}

// A call in flight through a ref when that ref's own Close ends it fails
// with ErrClosed, as Close's doc says of the calls after it: the owner's
// too (Spawn's or Host's), and a spawned actor's owner's call matches
// ErrActorDied as well, since the process ended under it. Which of the
// process's exit and its connection's end the owner sees first must not
// decide.
func TestCallInFlightAtOwnCloseIsErrClosed(t *testing.T) {
	const grace = 100 * time.Millisecond
	spawned := func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
		return keyedCounter(t, "k", uactor.GracePeriod(grace))
	}
	for _, tc := range []struct {
		name  string
		start func(t *testing.T, ctx context.Context) uactor.Ref[*Counter]
		via   func(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) uactor.Ref[*Counter]
		close func(r, via uactor.Ref[*Counter])
		died  bool // the call must match ErrActorDied too
	}{
		{"Spawn's ref", spawned, func(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) uactor.Ref[*Counter] { return r },
			func(r, via uactor.Ref[*Counter]) { r.Close() }, true},
		{"Host's ref", func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
			return host(t, ctx, CounterKind, &Counter{}, uactor.GracePeriod(grace))
		}, func(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) uactor.Ref[*Counter] { return r },
			func(r, via uactor.Ref[*Counter]) { r.Close() }, false},
		{"a Connect ref", spawned, func(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) uactor.Ref[*Counter] {
			return connect(t, ctx, r.Address(), "k")
		}, func(r, via uactor.Ref[*Counter]) { via.Close() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r := tc.start(t, ctx)
			via := tc.via(t, ctx, r)
			res := make(chan error, 1)
			go func() {
				_, err := Block.Call(ctx, via, 20*time.Second)
				res <- err
			}()
			waitCalls(t, ctx, via, 1)
			tc.close(r, via)
			err := receive(t, res, 15*time.Second, "the call in flight at Close never returned")
			if !errors.Is(err, uactor.ErrClosed) || tc.died && !errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("a call in flight at Close = %v; want ErrClosed (and ErrActorDied: %v)", err, tc.died)
			}
			if n := strings.Count(err.Error(), "uactor:"); n != 1 {
				t.Errorf("%q says \"uactor:\" %d times; want once", err, n)
			}
		})
	}
}

// blockThroughClose calls Block(d) through via and, once the call runs,
// closes r; it returns the call's result.
func blockThroughClose(t *testing.T, ctx context.Context, via uactor.Ref[*Counter], d time.Duration, r uactor.Ref[*Counter]) (bool, error) {
	t.Helper()
	type result struct {
		ok  bool
		err error
	}
	res := make(chan result, 1)
	go func() {
		ok, err := Block.Call(ctx, via, d)
		res <- result{ok, err}
	}()
	waitCalls(t, ctx, via, 1)
	r.Close()
	got := receive(t, res, 20*time.Second, "the call in flight at Close never returned")
	return got.ok, got.err
}

// An owner's ref learns exactly how its actor's process ended, whether it
// crashed while busy or while idle; later calls fail with ErrActorDied,
// never with the error of a dial to a socket nobody serves, and what the
// owner logs of the end does not speak of a call in flight when none was.
func TestDoneExitError(t *testing.T) {
	for _, c := range []struct {
		name   string
		end    func(r uactor.Ref[*Counter])
		code   int
		signal syscall.Signal
		idle   bool // no call is in flight when the process ends
	}{
		{"exit 3 in a handler", func(r uactor.Ref[*Counter]) { Exit.Call(context.Background(), r, 3) }, 3, 0, false},
		// A clean exit is still one the owner did not ask for.
		{"exit 0 in a handler", func(r uactor.Ref[*Counter]) { Exit.Call(context.Background(), r, 0) }, 0, 0, false},
		{"SIGKILL while idle", func(r uactor.Ref[*Counter]) { killPID(r.PID()) }, -1, syscall.SIGKILL, true},
		// SIGTERM is the parent-death signal: the actor cleans up and, its
		// owner alive, ends by the signal.
		{"SIGTERM while idle", func(r uactor.Ref[*Counter]) { syscall.Kill(r.PID(), syscall.SIGTERM) }, -1, syscall.SIGTERM, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			var log uactor.LockedBuffer
			r := spawnCounter(t, ctx, uactor.Logger(slog.New(slog.NewTextHandler(&log, nil))))
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
			if !proctest.Gone(pid) {
				t.Fatal("Done closed before the process was reaped")
			}
			if c.idle && strings.Contains(log.String(), "in flight") {
				t.Errorf("no call was in flight, yet the owner logged:\n%s", log.String())
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
	spawned := spawn(t, ctx, CounterKind, 0, uactor.AuthKey([]byte("k")))
	hosted, err := uactor.Host(ctx, CounterKind, &Counter{})
	if err != nil {
		t.Fatal(err)
	}
	connected := connect(t, ctx, spawned.Address(), "k")
	for _, r := range []uactor.Ref[*Counter]{connected, hosted, spawned} {
		r.Close()
		if !isDone(r) || !errors.Is(r.Err(), uactor.ErrClosed) {
			t.Errorf("%s after Close: done %v, Err %v; want done and ErrClosed", r.Address(), isDone(r), r.Err())
		}
	}
	var zero uactor.Ref[*Counter]
	if !isDone(zero) || !errors.Is(zero.Err(), uactor.ErrClosed) {
		t.Errorf("the zero Ref: done %v, Err %v; want done and ErrClosed", isDone(zero), zero.Err())
	}
}

// A connected ref learns that its actor is gone from its connection: when
// the process dies (no restart follows), and when keepalive finds it silent.
func TestDoneConnectedRef(t *testing.T) {
	t.Run("process killed", func(t *testing.T) {
		ctx := testCtx(t, 30*time.Second)
		r := keyedCounter(t, "k")
		c := connect(t, ctx, r.Address(), "k", uactor.DialTimeout(500*time.Millisecond))
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
		c := connect(t, ctx, r.Address(), "k", uactor.Keepalive(100*time.Millisecond))
		stop(t, r.PID())
		defer syscall.Kill(r.PID(), syscall.SIGCONT)
		waitDone(t, c, 10*time.Second)
		if !errors.Is(c.Err(), uactor.ErrActorDied) {
			t.Fatalf("Err = %v; want ErrActorDied", c.Err())
		}
	})
}

// A copy of a ref that first dials once its actor is gone for good (its
// owner closed it, and removed its directory) fails with ErrActorDied, and
// its Done closes, as a copy that had dialled before would: a raw dial
// error would leave a pool or a registry nothing to tell a dead actor by.
func TestCopyOfGoneActorFailsWithErrActorDied(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawn(t, ctx, CounterKind, 5)
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	var c uactor.Ref[*Counter]
	if err := c.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Add.Call(ctx, c, 1); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("first call through a copy of a closed actor's ref = %v; want ErrActorDied", err)
	}
	waitDone(t, c, 10*time.Second)
	if !errors.Is(c.Err(), uactor.ErrActorDied) {
		t.Fatalf("Err = %v; want ErrActorDied", c.Err())
	}
}

// TestCallsRacingCloseAreErrClosed starts calls through a ref as it is
// closed: each either completes or fails with ErrClosed, however far it
// had got (waiting its turn, being written, awaiting its answer). A call
// through a Connect ref, which leaves the actor running, must not match
// ErrActorDied: one cut before its request was written once did ("write
// failed"), as though the actor had died.
func TestCallsRacingCloseAreErrClosed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rounds int
		start  func(t *testing.T, ctx context.Context) (via uactor.Ref[*Counter])
		died   bool // the call may match ErrActorDied too: the owner's Close cut its connection
	}{
		{"Spawn's ref", 5, func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
			return spawnCounter(t, ctx)
		}, true},
		{"Host's ref", 20, func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
			return host(t, ctx, CounterKind, &Counter{})
		}, true},
		{"a Connect ref", 30, func() func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
			var r uactor.Ref[*Counter]
			return func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
				if r.Address() == "" {
					r = keyedCounter(t, "k")
				}
				return connect(t, ctx, r.Address(), "k")
			}
		}(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			const callers = 16
			for round := range tc.rounds {
				via := tc.start(t, ctx)
				if _, err := Add.Call(ctx, via, 1); err != nil {
					t.Fatalf("round %d: a call before Close: %v", round, err)
				}
				errs := make(chan error, callers)
				start := make(chan struct{})
				for range callers {
					go func() {
						<-start
						var err error
						for err == nil {
							_, err = Add.Call(ctx, via, 1)
						}
						errs <- err
					}()
				}
				close(start)
				runtime.Gosched()
				via.Close()
				for range callers {
					err := receive(t, errs, 15*time.Second, "a call racing Close never returned")
					if !errors.Is(err, uactor.ErrClosed) || !tc.died && errors.Is(err, uactor.ErrActorDied) {
						t.Fatalf("round %d: a call racing Close = %v; want ErrClosed (ErrActorDied allowed: %v)", round, err, tc.died)
					}
				}
			}
		})
	}
}
