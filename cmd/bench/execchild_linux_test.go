package main

import (
	"os"
	"strconv"
	"syscall"
	"testing"
)

// openFDs lists this process's open descriptors, apart from the one it
// reads them with.
func openFDs(t *testing.T) map[int]bool {
	t.Helper()
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	fds := map[int]bool{}
	for _, s := range names {
		if n, err := strconv.Atoi(s); err == nil && n != int(d.Fd()) {
			fds[n] = true
		}
	}
	return fds
}

// A floor's child whose second pipe cannot be made (descriptors run out
// after the first) leaves no descriptor of the first open. Before, the
// child's end of its stdin pipe stayed open for good: only Start or Wait
// closes what StdinPipe made for the child, and neither ran.
func TestExecChildClosesPipesWhenOneFails(t *testing.T) {
	r, w, err := os.Pipe() // the poller's own descriptors exist before the limit
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	before := openFDs(t)
	// A limit just above the two lowest free descriptors: one pipe can be
	// made, the next cannot.
	var free []int
	for n := 0; len(free) < 2; n++ {
		if !before[n] {
			free = append(free, n)
		}
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(free[1] + 1)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("cannot lower RLIMIT_NOFILE: %v", err)
	}
	c, _, err := execChild("raw", "unix", "@")
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if err == nil {
		c.Close()
		t.Fatal("execChild started a child with no descriptor left for its second pipe")
	}
	for fd := range openFDs(t) {
		if !before[fd] {
			target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
			t.Errorf("descriptor %d (%s) left open after execChild failed: %v", fd, target, err)
		}
	}
}

// A floor's child that started and was closed leaves none of its pipes
// open either.
func TestChildCloseClosesPipes(t *testing.T) {
	r, w, err := os.Pipe() // the poller's own descriptors exist before
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	before := openFDs(t)
	c, err := startChild("raw", "unix", "@")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for fd := range openFDs(t) {
		if !before[fd] {
			target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
			t.Errorf("descriptor %d (%s) left open after the child was closed", fd, target)
		}
	}
}
