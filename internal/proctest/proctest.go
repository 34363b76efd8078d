// Package proctest tells tests what became of a process, from Linux's
// /proc: the library's tests check that every actor process they start is
// gone when they end.
package proctest

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// State returns the state letter of process pid ('R', 'S', 'T', 'Z', …),
// or 0 if there is no such process.
func State(pid int) byte {
	st, ok := stat(pid)
	if !ok {
		return 0
	}
	return st[0][0]
}

// Children returns the processes, zombies included, whose parent is pid,
// in increasing order; none where there is no /proc.
func Children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	parent := strconv.Itoa(pid)
	var kids []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := stat(p); ok && len(st) > 1 && st[1] == parent {
			kids = append(kids, p)
		}
	}
	slices.Sort(kids)
	return kids
}

// stat returns the fields of /proc/pid/stat after the command name: the
// state, then the parent's pid, and so on.
func stat(pid int) ([]string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	// The command name, in parentheses, may hold spaces and parentheses:
	// the state follows the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return nil, false
	}
	return strings.Fields(string(b[i+2:])), true
}

// Gone reports whether pid has exited: no such process, or a zombie (an
// orphan whose reaper is slow is as dead as it gets).
func Gone(pid int) bool {
	switch State(pid) {
	case 0, 'Z', 'X':
		return true
	}
	return false
}
