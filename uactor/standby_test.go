package uactor_test

// Standby: processes started ahead of need become actors when Spawn, or a
// restart, asks for one.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/uactor"
)

// Standbys has the counter's process keep n standbys and returns their pids.
func (c *Counter) Standbys(ctx context.Context, n int) ([]int, error) {
	if err := uactor.Standby(ctx, n); err != nil {
		return nil, err
	}
	return standbysOf(os.Getpid()), nil
}

var KeepStandbys = uactor.Expose(CounterKind, "standbys", (*Counter).Standbys)

// standbysOf returns the children of pid whose command line marks them as
// started as standbys, apart from those in taken (a standby's command line
// stays as it was when it becomes an actor).
func standbysOf(pid int, taken ...int) []int {
	var s []int
	for _, kid := range proctest.Children(pid) {
		if slices.Contains(taken, kid) {
			continue
		}
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", kid))
		if bytes.Contains(cmd, []byte("uactor:(standby)")) {
			s = append(s, kid)
		}
	}
	return s
}

// needProc skips the test where there is no /proc to find standbys in.
func needProc(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc to find the standbys in")
	}
}

// keepStandbys has this process keep n standbys until the test ends (then
// none, all reaped), and returns their pids.
func keepStandbys(t *testing.T, ctx context.Context, n int) []int {
	t.Helper()
	needProc(t)
	t.Cleanup(func() {
		if err := uactor.Standby(context.Background(), 0); err != nil {
			t.Errorf("Standby(0): %v", err)
		}
	})
	if err := uactor.Standby(ctx, n); err != nil {
		t.Fatalf("Standby(%d): %v", n, err)
	}
	s := standbysOf(os.Getpid())
	if len(s) != n {
		t.Fatalf("%d standbys running, want %d", len(s), n)
	}
	return s
}

// replacement waits for the one standby that took the place of taken, and
// returns its pid.
func replacement(t *testing.T, ctx context.Context, taken int) int {
	t.Helper()
	if err := uactor.Standby(ctx, 1); err != nil {
		t.Fatal(err)
	}
	next := standbysOf(os.Getpid(), taken)
	if len(next) != 1 {
		t.Fatalf("standbys after one was taken: %v (the taken one was %d)", next, taken)
	}
	return next[0]
}

// A spawned actor runs in the standby that waited, under its kind, with
// its argument, its output relayed under its own prefix; another standby
// takes the taken one's place, and Standby(0) ends it.
func TestStandbyBecomesActor(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	first := keepStandbys(t, ctx, 1)[0]
	var out uactor.LockedBuffer
	r := spawn(t, ctx, CounterKind, 5, uactor.Output(&out))
	if r.PID() != first {
		t.Fatalf("the actor runs in process %d, not in the standby %d", r.PID(), first)
	}
	if got, err := GetPID.Call(ctx, r, uactor.Empty{}); err != nil || got != first {
		t.Fatalf("the actor answers from process %d, %v; want %d", got, err, first)
	}
	if n, err := Add.Call(ctx, r, 2); err != nil || n != 7 {
		t.Fatalf("Add(2) on a counter spawned at 5: %d, %v", n, err)
	}
	if _, err := Print.Call(ctx, r, 2); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, fmt.Sprintf("counter[%d] line 1 of 2", first), 5*time.Second)

	next := replacement(t, ctx, first)
	if err := uactor.Standby(ctx, 0); err != nil {
		t.Fatal(err)
	}
	assertReaped(t, next)
	if kids := proctest.Children(os.Getpid()); !slices.Contains(kids, first) {
		t.Fatalf("the actor %d is not among this process's children %v", first, kids)
	}
}

// noisyInit, in a standby's environment, has its binary write more than a
// pipe holds before the standby is up, as a package's init may.
const noisyInit = "UACTOR_TEST_NOISY_INIT"

func init() {
	if os.Getenv(noisyInit) != "" {
		os.Stderr.WriteString(strings.Repeat(strings.Repeat("n", 99)+"\n", 1000))
	}
}

// A standby whose binary writes more than a pipe holds before it is up
// still comes up, although nobody relays its output until a Spawn claims
// it; what it wrote reaches the actor's output then, under its prefix.
func TestStandbyWritesBeforeItIsUp(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	t.Setenv(noisyInit, "1")
	first := keepStandbys(t, ctx, 1)[0]
	os.Unsetenv(noisyInit) // the standby that replaces it starts quiet
	var out uactor.LockedBuffer
	r := spawn(t, ctx, CounterKind, 5, uactor.Output(&out))
	if r.PID() != first {
		t.Fatalf("the actor runs in process %d, not in the standby %d", r.PID(), first)
	}
	line := fmt.Sprintf("counter[%d] %s\n", first, strings.Repeat("n", 99))
	for end := time.Now().Add(10 * time.Second); strings.Count(out.String(), line) < 1000; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d of the 1000 lines the standby wrote before it was up reached the actor's output", strings.Count(out.String(), line))
		}
	}
}

// A restart takes a waiting standby too.
func TestStandbyRestart(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	first := keepStandbys(t, ctx, 1)[0]
	r := spawnRestarting(t, ctx)
	if r.PID() != first {
		t.Fatalf("the actor runs in process %d, not in the standby %d", r.PID(), first)
	}
	next := replacement(t, ctx, first)
	killAndWait(t, ctx, r)
	if r.PID() != next {
		t.Fatalf("the restarted actor runs in process %d, not in the standby %d", r.PID(), next)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 6 {
		t.Fatalf("Add(1) after the restart: %d, %v; want 6", n, err)
	}
}

// A standby that died is never handed an actor: Spawn starts another
// process, whether or not the dead one has been reaped yet.
func TestStandbyDiedIsSkipped(t *testing.T) {
	for _, wait := range []bool{false, true} {
		t.Run(fmt.Sprintf("waitForTheExit=%v", wait), func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			dead := keepStandbys(t, ctx, 1)[0]
			killPID(dead)
			if wait {
				assertGone(t, dead, 5*time.Second)
			}
			r := spawnCounter(t, ctx)
			if r.PID() == dead {
				t.Fatalf("the actor was handed to the dead standby %d", dead)
			}
			if _, err := Add.Call(ctx, r, 1); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Standby refuses a negative count, and returns ctx's error if ctx ends
// before the standbys are up.
func TestStandbyErrors(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	if err := uactor.Standby(ctx, -1); !errors.Is(err, uactor.ErrOption) {
		t.Fatalf("Standby(-1): %v, want ErrOption", err)
	}
	t.Cleanup(func() { uactor.Standby(context.Background(), 0) })
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := uactor.Standby(done, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Standby with a cancelled context: %v, want context.Canceled", err)
	}
}

// Standbys end with the process that started them.
func TestStandbyEndsWithOwner(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	needProc(t)
	owner := spawnCounter(t, ctx)
	s, err := KeepStandbys.Call(ctx, owner, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 {
		t.Fatalf("the owner keeps standbys %v, want 2", s)
	}
	killPID(owner.PID())
	for _, pid := range s {
		assertGone(t, pid, 10*time.Second)
	}
}

// A standby that dies while it waits, from SIGKILL or from SIGTERM (which
// it heeds while it waits: it has made nothing to remove), is reaped and
// replaced.
func TestStandbyReplacedWhenItDies(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			dead := keepStandbys(t, ctx, 1)[0]
			syscall.Kill(dead, sig)
			var now []int
			for {
				if now = standbysOf(os.Getpid(), dead); len(now) == 1 && proctest.Gone(dead) {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("standbys %v after %d got %v; want it gone and another in its place", now, dead, sig)
				case <-time.After(5 * time.Millisecond):
				}
			}
			if err := uactor.Standby(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if r := spawnCounter(t, ctx); r.PID() != now[0] {
				t.Fatalf("the actor runs in process %d, not in the replacement standby %d", r.PID(), now[0])
			}
		})
	}
}

// A later Standby call replaces the count of an earlier one still waiting,
// which then returns.
func TestStandbyLaterCallReplacesCount(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	keepStandbys(t, ctx, 0)
	// The earlier call must still wait when the later one comes: if its
	// eight standbys all came up first, try again.
	for try := 0; ; try++ {
		if try == 20 {
			t.Fatal("the earlier call never still waited when the later one came")
		}
		first := make(chan error, 1)
		go func() { first <- uactor.Standby(ctx, 8) }()
		for len(standbysOf(os.Getpid())) == 0 { // the first call has begun: its standbys start
			select {
			case <-ctx.Done():
				t.Fatal("no standby started")
			case <-time.After(time.Millisecond):
			}
		}
		var waited bool
		select {
		case err := <-first:
			if err != nil {
				t.Fatalf("Standby(8): %v", err)
			}
		default:
			waited = true
		}
		if err := uactor.Standby(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if s := standbysOf(os.Getpid()); len(s) != 0 {
			t.Fatalf("standbys %v after Standby(0)", s)
		}
		if !waited {
			continue
		}
		if err := receive(t, first, 10*time.Second, "the earlier call returning after Standby(0)"); err != nil {
			t.Fatalf("the replaced call: %v", err)
		}
		return
	}
}

// Each of two Standby(0) calls at once returns only once every standby
// has exited, not only the one that ended them: the other does not return
// while they are still being reaped.
func TestStandbyZeroTwiceAtOnce(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	for range 5 { // which of the two ends them varies: try a few times
		s := keepStandbys(t, ctx, 2)
		errs := make(chan error, 2)
		for range 2 {
			go func() { errs <- uactor.Standby(ctx, 0) }()
		}
		if err := receive(t, errs, 10*time.Second, "the first Standby(0) returning"); err != nil {
			t.Fatal(err)
		}
		for _, pid := range s {
			assertReaped(t, pid)
		}
		if err := receive(t, errs, 10*time.Second, "the second Standby(0) returning"); err != nil {
			t.Fatal(err)
		}
	}
}

// failIfStandby, in a process started as a standby while the file that
// UACTOR_TEST_STANDBY_FAILS names exists, says why and exits before it
// says it is up: a start that fails.
func failIfStandby() {
	f := os.Getenv("UACTOR_TEST_STANDBY_FAILS")
	if f == "" || !slices.Contains(os.Args[1:], "uactor:(standby)") {
		return
	}
	if _, err := os.Stat(f); err == nil {
		fmt.Fprintln(os.Stderr, standbyFails)
		os.Exit(1)
	}
}

const standbyFails = "a standby that fails on purpose"

// slowStandby, in a standby's environment, names a file while which exists
// (for a minute at most) the standby's binary has not got to say it is up.
const slowStandby = "UACTOR_TEST_STANDBY_SLOW"

// slowIfStandby, in a process started as a standby, waits while the file
// that slowStandby names exists: a start that takes long.
func slowIfStandby() {
	f := os.Getenv(slowStandby)
	if f == "" || !slices.Contains(os.Args[1:], "uactor:(standby)") {
		return
	}
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(f); err != nil {
			return
		}
	}
}

// Standby(0) ends a standby that is still starting and returns once it has
// exited, rather than waiting for it to come up (a start has 10 s to) and
// ending it then: here one whose binary takes a minute to get there.
func TestStandbyZeroEndsOneStarting(t *testing.T) {
	needProc(t)
	ctx := testCtx(t, 30*time.Second)
	gate := filepath.Join(t.TempDir(), "slow")
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(slowStandby, gate)
	t.Cleanup(func() { uactor.Standby(context.Background(), 0) })
	first := make(chan error, 1)
	go func() { first <- uactor.Standby(ctx, 1) }()
	var slow []int
	for slow = standbysOf(os.Getpid()); len(slow) == 0; slow = standbysOf(os.Getpid()) {
		select {
		case <-ctx.Done():
			t.Fatal("no standby started")
		case <-time.After(time.Millisecond):
		}
	}
	end, cancel := context.WithTimeout(ctx, 5*time.Second) // half the time a start has
	defer cancel()
	if err := uactor.Standby(end, 0); err != nil {
		t.Fatalf("Standby(0) while standby %d starts: %v", slow[0], err)
	}
	assertReaped(t, slow[0])
	if err := receive(t, first, 10*time.Second, "the replaced Standby(1) returning"); err != nil {
		t.Fatalf("the replaced Standby(1): %v", err)
	}
}

// failingStandbys spawns an owner whose standbys fail to start while the
// file it returns exists, its output (its standbys' too) going to out.
func failingStandbys(t *testing.T, ctx context.Context, out io.Writer) (uactor.Ref[*Counter], string) {
	t.Helper()
	fails := filepath.Join(t.TempDir(), "fail")
	if err := os.WriteFile(fails, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("UACTOR_TEST_STANDBY_FAILS", fails) // the owner inherits it, and its standbys
	return spawn(t, ctx, CounterKind, 0, uactor.Output(out)), fails
}

// A standby start that failed is tried again by the next Spawn that finds
// no standby waiting, not only by the next Standby call.
func TestStandbyStartRetriedBySpawn(t *testing.T) {
	needProc(t)
	ctx := testCtx(t, 30*time.Second)
	owner, fails := failingStandbys(t, ctx, io.Discard)
	if _, err := KeepStandbys.Call(ctx, owner, 1); err == nil {
		t.Fatal("Standby(1) with a start that fails: no error")
	}
	if s := standbysOf(owner.PID()); len(s) != 0 {
		t.Fatalf("standbys %v after the start failed", s)
	}
	if err := os.Remove(fails); err != nil {
		t.Fatal(err)
	}
	if _, err := SpawnChild.Call(ctx, owner, uactor.Empty{}); err != nil { // a new process: no standby waits
		t.Fatal(err)
	}
	for len(standbysOf(owner.PID())) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("no standby started again after a Spawn found none waiting")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Standby's error for a standby that exited before it was up says how it
// exited, as Spawn's does for an actor's process, not only that its
// channel ended.
func TestStandbyFailedStartSaysHowItEnded(t *testing.T) {
	needProc(t)
	ctx := testCtx(t, 30*time.Second)
	owner, _ := failingStandbys(t, ctx, io.Discard)
	_, err := KeepStandbys.Call(ctx, owner, 1)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("Standby(1) where the standby exits with status 1: %v", err)
	}
}

// What a standby wrote before it ended unclaimed reaches its owner's
// output, each line under "uactor:(standby)[pid] ": here, why it failed to
// start. The owner is an actor, so that its own output is the test's to
// read.
func TestStandbyOutputWhenItFails(t *testing.T) {
	needProc(t)
	ctx := testCtx(t, 30*time.Second)
	var out uactor.LockedBuffer
	owner, _ := failingStandbys(t, ctx, &out)
	if _, err := KeepStandbys.Call(ctx, owner, 1); err == nil {
		t.Fatal("Standby(1) where standbys fail to start: no error")
	}
	out.WaitFor(t, standbyFails, 10*time.Second)
	line := regexp.MustCompile(fmt.Sprintf(`(?m)^counter\[%d\] uactor:\(standby\)\[\d+\] %s$`, owner.PID(), standbyFails))
	if !line.MatchString(out.String()) {
		t.Fatalf("the failed standby's line lacks its prefix:\n%s", out.String())
	}
}

// Spawn with a context that ended already fails with its error and takes
// nothing: the waiting standby still waits, the same process, afterwards.
func TestSpawnCancelledKeepsStandby(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	first := keepStandbys(t, ctx, 1)[0]
	done, cancel := context.WithCancel(ctx)
	cancel()
	r, err := uactor.Spawn(done, CounterKind, 5)
	if err == nil {
		r.Close()
		t.Fatal("Spawn with a cancelled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Spawn with a cancelled context: %v, want context.Canceled", err)
	}
	time.Sleep(200 * time.Millisecond) // past refillWait: a replacement would be under way
	if s := standbysOf(os.Getpid()); !slices.Contains(s, first) {
		t.Fatalf("the standby %d was taken by a Spawn whose context had ended (standbys now %v)", first, s)
	}
}
