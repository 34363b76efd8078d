package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCannotSpawnSaysSo runs the command where it can start no process
// (no file descriptor is left for a child's pipes): the same-core
// placement must fail saying why, not be skipped as if its CPU could not
// be pinned.
func TestCannotSpawnSaysSo(t *testing.T) {
	if cpus, err := allowedCPUs(); err != nil || len(cpus) < 2 {
		t.Skipf("the same-core placement needs two CPUs to be tried (%v, %v)", cpus, err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// The lowest free descriptor is the next one opened: a limit at it
	// fails every open, pipe and socket until the limit is restored.
	next := uint64(0)
	for ; ; next++ {
		if _, err := os.Lstat("/proc/self/fd/" + strconv.FormatUint(next, 10)); err != nil {
			break
		}
	}
	low := lim
	low.Cur = next
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower RLIMIT_NOFILE: %v", err)
	}
	var out, errb bytes.Buffer
	code := run([]string{"-quick", "-duration=5ms", "-json", "", "-svg", ""}, &out, &errb)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if s := errb.String(); strings.Contains(s, "skipped") || strings.Contains(s, "sched_setaffinity") ||
		!strings.Contains(s, sameCore+"  stopped short") {
		t.Errorf("stderr does not say that the same-core worker could not start:\n%s", s)
	}
	// The free placement's first child is the raw floor's, over a Unix socket.
	if s := errb.String(); !strings.Contains(s, free+"       stopped short: raw unix child: ") {
		t.Errorf("stderr does not say which child of the free placement could not start:\n%s", s)
	}
	if kids := children(os.Getpid()); len(kids) > 0 {
		t.Errorf("child processes left behind: %v", kids)
	}
}
