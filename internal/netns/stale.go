//go:build linux

package netns

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// sweep removes what the Nets of test processes that are gone left
// behind: go test's -timeout ends a test binary without its cleanups, so
// its namespaces (named after its pid), their processes and their
// resolv.conf would stay for good. A namespace whose process lives (another
// test binary's, running now) is left alone.
func sweep() {
	names := map[string]bool{}
	if out, err := exec.Command("ip", "netns", "list").Output(); err == nil {
		for l := range strings.Lines(string(out)) {
			if f := strings.Fields(l); len(f) > 0 {
				names[f[0]] = true
			}
		}
	}
	if entries, err := os.ReadDir("/etc/netns"); err == nil {
		for _, e := range entries {
			names[e.Name()] = true
		}
	}
	for name := range names {
		if !orphaned(name) {
			continue
		}
		for _, pid := range (&Host{Name: name}).pids() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		os.RemoveAll(filepath.Join("/etc/netns", name))
		ip("netns", "del", name) // gone already, if only its resolv.conf was left
	}
}

// orphaned reports whether name is a namespace New made (see New: "uactor-",
// the test process's pid, a sequence number, a host's letter) in a process
// that no longer exists. Only that exact form: a namespace someone else
// named "uactor-" something is not the tests' to sweep.
func orphaned(name string) bool {
	rest, ok := strings.CutPrefix(name, "uactor-")
	if !ok {
		return false
	}
	f := strings.Split(rest, "-")
	if len(f) != 3 || !digits(f[0]) || !digits(f[1]) || len(f[2]) != 1 || f[2][0] < 'a' {
		return false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}

// digits reports whether s is a non-empty run of decimal digits.
func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
