//go:build unix && !solaris

package uactor

import (
	"os"
	"syscall"
)

// tryLock takes an exclusive lock on f, which ends with its holder's
// process, or fails at once if another holds one.
func tryLock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
