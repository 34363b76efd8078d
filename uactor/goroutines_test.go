package uactor_test

import (
	"fmt"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A goroutine count is the whole process's, so it speaks for one test only
// while that test runs alone: a test that runs beside others (parallel) has
// its goroutines counted with the package's, once every test has ended
// (leftGoroutines, from TestMain).

// besideOthers holds the names of the tests that called parallel.
var besideOthers sync.Map

// parallel runs t beside the package's other parallel tests (t.Parallel),
// for a test whose time goes mostly in waiting. Call it first in the test,
// before testCtx.
func parallel(t *testing.T) {
	t.Helper()
	besideOthers.Store(t.Name(), true)
	t.Parallel()
}

// runsBesideOthers reports whether t, or a test that t is a subtest of,
// called parallel.
func runsBesideOthers(t *testing.T) bool {
	for name := t.Name(); ; {
		if _, ok := besideOthers.Load(name); ok {
			return true
		}
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return false
		}
		name = name[:i]
	}
}

// checkGoroutines records how many goroutines run now and, when the test
// ends (after every cleanup registered later), waits up to 3 s for the count
// to come back to at most that (plus a little slack), failing with a dump
// of every goroutine otherwise. Call it first in a test. A test that runs
// beside others is left to leftGoroutines.
func checkGoroutines(t *testing.T) {
	t.Helper()
	if runsBesideOthers(t) {
		return
	}
	base := testGoroutines()
	t.Cleanup(func() {
		if n, dump := settle(base, 3*time.Second); dump != "" {
			t.Errorf("goroutine leak: %d goroutines at the start, %d three seconds after the end\n%s", base, n, dump)
		}
	})
}

// leftGoroutines waits up to 5 s for the goroutines to come back to at
// most base (plus a little slack) once every test has ended, and otherwise
// says what was left.
func leftGoroutines(base int) error {
	if n, dump := settle(base, 5*time.Second); dump != "" {
		return fmt.Errorf("goroutine leak: %d goroutines before the tests, %d five seconds after them\n%s", base, n, dump)
	}
	return nil
}

// settle waits up to d for testGoroutines to come down to at most base
// (plus a little slack), and returns the count and, if it did not, a dump
// of every goroutine.
func settle(base int, d time.Duration) (int, string) {
	const slack = 2
	deadline := time.Now().Add(d)
	for {
		n := testGoroutines()
		if n <= base+slack {
			return n, ""
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			pprof.Lookup("goroutine").WriteTo(&b, 1)
			return n, b.String()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lifelong are the goroutines that the first Spawn in a process starts
// and that serve every later one: not a test's leak, whichever test
// starts them (the first test run alone, say).
var lifelong = []string{"internal/spawn.startOnLockedThread", "internal/spawn.(*poller).run"}

// testGoroutines counts the goroutines that run now, but for lifelong ones.
func testGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if !slices.ContainsFunc(lifelong, func(f string) bool { return strings.Contains(g, f) }) {
			count++
		}
	}
	return count
}
