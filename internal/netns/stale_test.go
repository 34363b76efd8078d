//go:build linux

package netns

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A test binary that go test's -timeout ended ran none of its cleanups:
// its namespaces (and their resolv.conf) stay. The next New removes those
// whose process is gone, and leaves those of live processes alone.
func TestNewRemovesDeadProcessesNamespaces(t *testing.T) {
	if why := missing(); why != "" {
		skip(t, why)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := fmt.Sprintf("uactor-%d-1-a", dead.Process.Pid)
	live := fmt.Sprintf("uactor-%d-999999-a", os.Getppid()) // go test's own: alive, and no Net of ours
	for _, name := range []string{stale, live} {
		if err := ip("netns", "add", name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ip("netns", "del", name); os.RemoveAll(filepath.Join("/etc/netns", name)) })
	}
	if err := os.MkdirAll(filepath.Join("/etc/netns", stale), 0o755); err != nil {
		t.Fatal(err)
	}
	New(t, 1, Link{})
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			names[f[0]] = true
		}
	}
	if names[stale] {
		t.Errorf("namespace %s of a process that is gone is left after New", stale)
	}
	if _, err := os.Stat(filepath.Join("/etc/netns", stale)); err == nil {
		t.Errorf("/etc/netns/%s of a process that is gone is left after New", stale)
	}
	if !names[live] {
		t.Errorf("namespace %s of a live process was removed by New", live)
	}
}
