package uactor_test

// The fault and attack suite (issue 7): the life and death of actor
// processes, and where their sockets live.

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// The parent SIGKILLed with a tree of three levels (parent, its actor, that
// actor's actor): both actors are gone within 1 s.
func TestAttackParentKilledTreeGoneIn1s(t *testing.T) {
	checkGoroutines(t)
	cmd, child, grandchild := startParent(t)
	if processGone(child) || processGone(grandchild) {
		t.Fatal("actors not running")
	}
	start := time.Now()
	cmd.Process.Kill()
	cmd.Wait()
	for _, pid := range []int{child, grandchild} {
		for !processGone(pid) && time.Since(start) < time.Second {
			time.Sleep(5 * time.Millisecond)
		}
	}
	el := time.Since(start)
	t.Logf("both actors gone %v after the SIGKILL", el)
	assertGone(t, child, 0)
	assertGone(t, grandchild, 0)
}

// The owner closes an actor with 100 calls in flight, 80 shorter than the
// grace period and 20 far longer: every call completes or fails (the short
// ones complete), none hangs beyond grace + 2 s, the process is reaped
// (not even a zombie), and no goroutine is left behind here.
func TestAttackCloseWithCallsInFlight(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 60*time.Second)
	const grace = time.Second
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(grace))
	if err != nil {
		t.Fatal(err)
	}
	pid := r.PID()
	t.Cleanup(func() {
		r.Close()
		assertGone(t, pid, time.Second)
	})
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
	// Close once all 100 are running in the actor.
	for n := int64(0); n < 100; {
		if n = calls(t, ctx, r); ctx.Err() != nil {
			t.Fatalf("only %d calls started", n)
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	r.Close()
	closeTime := time.Since(start)
	waited := make(chan struct{})
	go func() { wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(grace + 2*time.Second):
		t.Fatalf("calls in flight still not returned %v after Close began", grace+2*time.Second)
	}
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
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !os.IsNotExist(err) {
		t.Fatalf("process %d still exists after Close (a zombie?): %v", pid, err)
	}
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("a call after Close = %v; want ErrClosed", err)
	}
}

// An actor's default Unix socket is a file on disk (not in the abstract
// namespace) in a private directory of mode 0700, owned by this user, and
// gone once the actor is closed; for spawned and for hosted actors.
func TestAttackUnixSocketIsPrivate(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 30*time.Second)
	spawned, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { spawned.Close() })
	hosted, err := uactor.Host(ctx, CounterKind, &Counter{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hosted.Close() })
	for _, c := range []struct {
		name string
		r    uactor.Ref[*Counter]
	}{{"spawned", spawned}, {"hosted", hosted}} {
		t.Run(c.name, func(t *testing.T) {
			addr := c.r.Address()
			if !strings.HasPrefix(addr, "unix:///") {
				t.Fatalf("address %q: want unix:/// and an absolute path (not abstract, not relative)", addr)
			}
			path := strings.TrimPrefix(addr, "unix://")
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatalf("the socket is not a file on disk: %v", err)
			}
			if fi.Mode().Type() != os.ModeSocket {
				t.Fatalf("%s has mode %v; want a socket", path, fi.Mode())
			}
			dir := filepath.Dir(path)
			di, err := os.Lstat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !di.IsDir() || di.Mode().Perm() != 0o700 {
				t.Fatalf("the socket's directory %s has mode %v; want a directory of mode 0700", dir, di.Mode())
			}
			if st, ok := di.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
				t.Fatalf("the socket's directory is owned by uid %d, not %d", st.Uid, os.Getuid())
			}
			t.Logf("%s: socket %v in %s %v", addr, fi.Mode(), dir, di.Mode())
			if _, err := Add.Call(ctx, c.r, 1); err != nil {
				t.Fatal(err)
			}
			c.r.Close()
			if _, err := os.Lstat(dir); !os.IsNotExist(err) {
				t.Fatalf("the socket's directory %s is left after Close: %v", dir, err)
			}
		})
	}
}
