// Package proctest tells tests what became of a process, from Linux's
// /proc: the library's tests check that every actor process they start is
// gone when they end.
package proctest

import (
	"fmt"
	"os"
	"strings"
)

// State returns the state letter of process pid ('R', 'S', 'T', 'Z', …),
// or 0 if there is no such process.
func State(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces and parentheses:
	// the state follows the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
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
