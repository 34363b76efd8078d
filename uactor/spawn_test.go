package uactor_test

// Spawn and Host: where an actor runs, what it is made from, and the
// process that holds it.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/uactor"
)

func TestSpawnRunsInAnotherProcess(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	if pid, err := GetPID.Call(ctx, r, uactor.Empty{}); err != nil || pid == os.Getpid() || pid != r.PID() {
		t.Fatalf("actor pid %d (%v), ref pid %d, ours %d", pid, err, r.PID(), os.Getpid())
	}
	if !strings.HasPrefix(r.Address(), "unix://") {
		t.Fatalf("default address %q is not a Unix socket", r.Address())
	}
}

func TestSpawnArgumentAndState(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawn(t, ctx, CounterKind, 40)
	if n, err := Add.Call(ctx, r, 2); err != nil || n != 42 {
		t.Fatalf("Add = %d, %v; want 42", n, err)
	}
	h := Add.On(r) // the same call through the location-transparent Handler
	if n, err := h.Handle(ctx, 8); err != nil || n != 50 {
		t.Fatalf("Handle = %d, %v; want 50", n, err)
	}
}

// A spawn argument larger than a socket's buffer reaches the child whole:
// the parent writes what the socket takes before the child starts, and the
// rest once it reads.
func TestSpawnLargeArgument(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	greeting := strings.Repeat("Hello and welcome ", 3<<20/18) // about 3 MiB
	r := spawn(t, ctx, GreeterKind, greeting)
	got, err := Greet.Call(ctx, r, "world")
	if want := fmt.Sprintf("%s, world, from process %d", greeting, r.PID()); err != nil || got != want {
		t.Fatalf("Greet = %d bytes, %v; want the %d-byte greeting back", len(got), err, len(greeting))
	}
}

// A spawn argument over what a bootstrap record holds fails Spawn with
// ErrTooLarge, saying "uactor:" once, before any process starts.
func TestSpawnArgumentTooLarge(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	huge := strings.Repeat("x", 64<<20+1) // over the bootstrap record's 64 MiB
	before := proctest.Children(os.Getpid())
	err := spawnFails(t, ctx, GreeterKind, huge)
	if after := proctest.Children(os.Getpid()); !slices.Equal(after, before) {
		t.Errorf("this process's children: %v before the failed Spawn, %v after; want no process started", before, after)
	}
	if !errors.Is(err, uactor.ErrTooLarge) {
		t.Fatalf("Spawn with a %d-byte argument: %v; want ErrTooLarge", len(huge), err)
	}
	if msg := err.Error(); strings.Count(msg, "uactor:") != 1 {
		t.Fatalf("Spawn with a %d-byte argument: %q; want \"uactor:\" once", len(huge), msg)
	}
}

// lateKind is defined on first use, after Main has run, and only once, so
// that the test can run more than once (-count).
var lateKind = sync.OnceValue(func() *uactor.Kind[*Counter, uactor.Empty] {
	return uactor.Define("late-kind", func(ctx context.Context, _ uactor.Empty) (*Counter, error) {
		return &Counter{}, nil
	})
})

// Spawn fails with an error that says why: the constructor's own (or its
// panic, or a panic in its error's Error method, as ErrPanic), a kind the
// child does not define, or a kind defined too late for children to know.
func TestSpawnErrors(t *testing.T) {
	for _, c := range []struct {
		name, want string
		spawn      func(t *testing.T, ctx context.Context) error
		is         error // nil: any
	}{
		{"constructor error", "counter cannot start at -1", func(t *testing.T, ctx context.Context) error {
			return spawnFails(t, ctx, CounterKind, -1)
		}, nil},
		{"constructor panic", "a counter at -2", func(t *testing.T, ctx context.Context) error {
			return spawnFails(t, ctx, CounterKind, -2)
		}, uactor.ErrPanic},
		{"constructor error whose Error panics", "nilError", func(t *testing.T, ctx context.Context) error {
			return spawnFails(t, ctx, CounterKind, -3)
		}, uactor.ErrPanic},
		{"unknown kind", `kind "ghost" is not defined`, func(t *testing.T, ctx context.Context) error {
			t.Setenv("UACTOR_TEST_HIDE_GHOST", "1") // the child will not define "ghost"
			return spawnFails(t, ctx, GhostKind, uactor.Empty{})
		}, nil},
		{"kind defined after Main", "package-level var", func(t *testing.T, ctx context.Context) error {
			return spawnFails(t, ctx, lateKind(), uactor.Empty{})
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.spawn(t, testCtx(t, 20*time.Second))
			if err == nil || !strings.Contains(err.Error(), c.want) || c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("Spawn error = %v; want one that says %q (and is %v)", err, c.want, c.is)
			}
		})
	}
}

func TestNestedSpawn(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	pid, err := SpawnChild.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if pid == r.PID() || pid == os.Getpid() || proctest.Gone(pid) {
		t.Fatalf("grandchild pid %d (child %d, us %d)", pid, r.PID(), os.Getpid())
	}
	r.Close()
	assertGone(t, pid, 2*time.Second) // the tree goes down with its root
}

// SIGKILL of a parent with a tree of three levels (parent, its actor, that
// actor's actor): both actors go (nothing else would end them: the wait's
// 10 s bound only keeps a failure from hanging).
func TestParentKilledEndsTree(t *testing.T) {
	checkGoroutines(t)
	cmd, child, grandchild := startParent(t)
	if proctest.Gone(child) || proctest.Gone(grandchild) {
		t.Fatal("actors not running")
	}
	start := time.Now()
	cmd.Process.Kill()
	cmd.Wait()
	for _, pid := range []int{child, grandchild} {
		for !proctest.Gone(pid) && time.Since(start) < 10*time.Second {
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Logf("both actors gone %v after the SIGKILL", time.Since(start))
	assertGone(t, child, 0)
	assertGone(t, grandchild, 0)
}

// A terminal's Ctrl-C (SIGINT) or hang-up (SIGHUP) goes to the whole
// process group: it ends the tree through its owner. The actors outlive
// the signal, find their owner gone, and remove their socket directories,
// which a signal's default action would have left behind.
func TestSignalledGroupLeavesNoDirectory(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			checkGoroutines(t)
			dirs := func() []string { d, _ := filepath.Glob(filepath.Join(os.TempDir(), "uactor-*")); return d }
			before := dirs()
			cmd, child, grandchild := startParent(t)
			if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			assertGone(t, child, 10*time.Second)
			assertGone(t, grandchild, 10*time.Second)
			if after := dirs(); len(after) > len(before) {
				t.Errorf("socket directories before the tree started: %v; after %v to its group: %v", before, sig, after)
				for _, d := range after {
					if !slices.Contains(before, d) {
						os.RemoveAll(d)
					}
				}
			}
		})
	}
}

func TestHostInProcess(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := &Counter{}
	r := host(t, ctx, CounterKind, c)
	if pid, err := GetPID.Call(ctx, r, uactor.Empty{}); err != nil || pid != os.Getpid() {
		t.Fatalf("hosted getpid = %d, %v", pid, err)
	}
	if _, err := Add.Call(ctx, r, 7); err != nil {
		t.Fatal(err)
	}
	if c.n.Load() != 7 {
		t.Fatalf("hosted value not shared: n = %d", c.n.Load())
	}
}

// ps and /proc/<pid>/cmdline name the actor's kind.
func TestCmdlineNamesKind(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	if args := procStrings(t, r.PID(), "cmdline"); len(args) != 2 || args[1] != "uactor:counter" {
		t.Fatalf("cmdline %q; want the binary and uactor:counter", args)
	}
}

// procStrings reads /proc/<pid>/<name>, a list of NUL-terminated strings.
func procStrings(t *testing.T, pid int, name string) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// Actor processes get GORACE=atexit_sleep_ms=0 (a race-enabled child would
// otherwise sleep 1 s before every exit), unless the user set GORACE.
func TestChildGORACE(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	saved, had := os.LookupEnv("GORACE")
	t.Cleanup(func() {
		if had {
			os.Setenv("GORACE", saved)
		} else {
			os.Unsetenv("GORACE")
		}
	})
	for _, c := range []struct {
		set  bool
		val  string
		want string
	}{{false, "", "GORACE=atexit_sleep_ms=0"}, {true, "halt_on_error=1", "GORACE=halt_on_error=1"}} {
		if c.set {
			os.Setenv("GORACE", c.val)
		} else {
			os.Unsetenv("GORACE")
		}
		r := spawnCounter(t, ctx)
		var got []string
		for _, kv := range procStrings(t, r.PID(), "environ") {
			if strings.HasPrefix(kv, "GORACE=") {
				got = append(got, kv)
			}
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("GORACE set %v to %q: the child has %q; want %q", c.set, c.val, got, c.want)
		}
		r.Close()
	}
}

// An owner keeps few goroutines per live, quiet actor: every collection in
// the owner scans each one's stack, so a parked goroutine per actor costs
// every program with many actors on every cycle. On Linux one poller reads
// every actor's output and reaps it, so an actor keeps none (one, a
// reaper, where the kernel has no pidfds); elsewhere each has a reader per
// output pipe and a reaper.
func TestLiveActorsHoldFewGoroutines(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	const n = 8
	perActor := 3
	if runtime.GOOS == "linux" {
		perActor = 1
	}
	// One first, so that goroutines started for any spawn are counted before.
	if _, err := Add.Call(ctx, spawnCounter(t, ctx), 1); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for range n {
		if _, err := Add.Call(ctx, spawnCounter(t, ctx), 1); err != nil {
			t.Fatal(err)
		}
	}
	// Goroutines that end after a spawn (its handshake's) may still be on their way out.
	if _, ok := waitGoroutines(before+n*perActor, 5*time.Second); !ok {
		t.Errorf("%d more actors, %d more goroutines: more than %d each", n, runtime.NumGoroutine()-before, perActor)
	}
}

// lateMethod is exposed on first use, after Main has run (once, so that the
// test can run more than once): a spawned actor's process never has it.
var lateMethod = sync.OnceValue(func() uactor.Method[*Counter, uactor.Empty, int] {
	return uactor.Expose(CounterKind, "late", func(*Counter, context.Context, uactor.Empty) (int, error) {
		return 1, nil
	})
})

// A method exposed after Main cannot be served by a spawned actor, and its
// call says so and what to do, as a kind defined late does (TestSpawnErrors).
func TestLateMethodSaysSo(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	_, err := lateMethod().Call(ctx, r, uactor.Empty{})
	if !errors.Is(err, uactor.ErrUnknownMethod) || !strings.Contains(err.Error(), "package-level var") || strings.Count(err.Error(), "uactor:") != 1 {
		t.Fatalf("call of a method exposed after Main: %v; want ErrUnknownMethod that says, once prefixed, to expose it in a package-level var", err)
	}
}
