package uactor_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func TestMain(m *testing.M) {
	failIfStandby()      // a standby that fails to start, for one test; returns at once anywhere else
	slowIfStandby()      // a standby slow to start, for one test; returns at once anywhere else
	holdIfStandby()      // a standby whose output outlives it, for one test; returns at once anywhere else
	forgeReadyIfAsked()  // a hostile actor process for one test; returns at once anywhere else
	garbleReadyIfAsked() // another, for one test
	holdReadyIfAsked()   // an actor process that holds before it is ready, for one test
	uactor.Main()
	if serveRawEcho() { // the raw-socket floor of the benchmarks, in a child
		return
	}
	if runParentMode() { // a middle process for the parent-death tests
		return
	}
	if hostAndLeave() { // a process that leaves a hosted value's directory
		return
	}
	if spawnAndWait() { // a process that spawns an actor and waits to be killed
		return
	}
	if closeMidCall() { // a process killed as it closes its actor mid-call
		return
	}
	os.Exit(runInPrivateTemp(m))
}

// runInPrivateTemp runs the tests with a TMPDIR of their own, which every
// process they start inherits, and then checks that no actor's socket
// directory outlived it: not one, SIGKILL tests included. Unless TMPDIR is
// set already, it is made on the memory filesystem where the library puts
// socket directories by default (see uactor.Listen), so that spawns cost
// here what they cost outside the tests.
func runInPrivateTemp(m *testing.M) int {
	base := ""
	if os.Getenv("TMPDIR") == "" {
		base = uactor.MemoryDir()
	}
	pattern := fmt.Sprintf("testsuite-pid%d-", os.Getpid())
	tmp, err := os.MkdirTemp(base, pattern)
	if err != nil && base != "" {
		base = ""
		tmp, err = os.MkdirTemp("", pattern)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	removeDeadSuites(base)
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", tmp)
	goroutines := testGoroutines()
	code := m.Run()
	if err := leftGoroutines(goroutines); err != nil {
		fmt.Println(err)
		code = 1
	}
	if had {
		os.Setenv("TMPDIR", old)
	} else {
		os.Unsetenv("TMPDIR")
	}
	// Orphaned actors of the parent-death tests may still be on their way out.
	var left []string
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left, _ = filepath.Glob(filepath.Join(tmp, "uactor-*"))
		if len(left) == 0 || time.Now().After(end) {
			break
		}
	}
	fmt.Printf("socket directories left after the tests: %d\n", len(left))
	if len(left) > 0 {
		fmt.Println("outlived their actors:", left)
		return 1
	}
	return code
}

// removeDeadSuites removes the private TMPDIRs in base (the default
// temporary directory if empty) of test processes that are gone: one that
// panicked or timed out skipped its deferred removal, and on the memory
// filesystem what it left would hold memory until reboot.
func removeDeadSuites(base string) {
	if base == "" {
		base = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(base, "testsuite-pid*-*"))
	for _, dir := range dirs {
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(dir), "testsuite-pid%d-", &pid); err != nil || pid <= 0 {
			continue
		}
		// Not proctest.Gone: it reads Linux's /proc, and where there is none it
		// would call every suite gone and remove live ones' directories.
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(dir)
		}
	}
}
