//go:build linux

package netns

import (
	"fmt"
	"os/exec"
	"testing"
)

// Only a name New itself makes ("uactor-", the pid, a sequence number, a
// host letter) is swept: a namespace someone else named with the same
// prefix, and the processes in it, are not the tests' to kill.
func TestOrphanedOnlyNewsNames(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	pid := dead.Process.Pid
	for _, c := range []struct {
		name string
		want bool
	}{
		{fmt.Sprintf("uactor-%d-1-a", pid), true},
		{fmt.Sprintf("uactor-%d-12-c", pid), true},
		{fmt.Sprintf("uactor-%d-prod", pid), false},
		{fmt.Sprintf("uactor-%d-1-a-mine", pid), false},
		{fmt.Sprintf("uactor-%d-1-", pid), false},
		{fmt.Sprintf("uactor-%d-x-a", pid), false},
		{fmt.Sprintf("uactor-%d", pid), false},
		{fmt.Sprintf("other-%d-1-a", pid), false},
	} {
		if got := orphaned(c.name); got != c.want {
			t.Errorf("orphaned(%q) = %v; want %v", c.name, got, c.want)
		}
	}
}
