package uactor

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A hosted value's socket directory is removed by Close, or as its
// process ends on a signal; a process that returns from main without
// Close, or is killed, leaves it behind. So such a directory holds a lock
// file that its process locks (flock) for the directory's life, and the
// first hosted value of a process removes, in the base its directory went
// to, the directories whose lock nobody holds: their process is gone,
// whatever pid namespace it ran in, as the kernel drops a dead process's
// locks. A spawned actor's directory has no lock file: its owner and the
// actor remove it.

// lockName is the lock file in a hosted value's directory.
const lockName = "lock"

// staleAge is how old a directory must be before it may be removed: a
// younger one's process may not have locked it yet.
const staleAge = time.Minute

// swept holds the bases this process has swept: each is swept once.
var swept sync.Map

// makeHostDir is makeSocketDir for a value this process hosts: the
// directory is locked for as long as it is tracked (see removeDir).
func makeHostDir() (string, error) {
	dir, err := makeSocketDir()
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	trackLockedDir(dir, f)
	if base := filepath.Dir(dir); !isSwept(base) {
		sweepStale(base, time.Now())
	}
	return dir, nil
}

func isSwept(base string) bool {
	_, done := swept.LoadOrStore(base, true)
	return done
}

// sweepStale removes the directories in base that a hosted value's
// process left behind, and returns how many it removed.
func sweepStale(base string, now time.Time) int {
	ents, err := os.ReadDir(base)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "uactor-") {
			continue
		}
		if dir := filepath.Join(base, e.Name()); removeIfStale(dir, now) {
			n++
		}
	}
	return n
}

// removeIfStale removes dir if it is this user's, at least staleAge old,
// and has a lock file that nobody holds; it reports whether it did.
func removeIfStale(dir string, now time.Time) bool {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || now.Sub(fi.ModTime()) < staleAge {
		return false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Getuid() {
		return false
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return false // no lock: not a hosted value's, or not one of ours
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false // its process is alive
	}
	return os.RemoveAll(dir) == nil
}
