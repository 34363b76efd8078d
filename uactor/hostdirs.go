package uactor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A hosted value's socket directory is removed by Close (in an actor's
// process, also as the process ends on SIGTERM or its owner's death), and
// a spawned actor's by its owner once the actor is gone (and by the actor
// as it stops for good at its owner's Close, or if its owner is gone
// first). A program that returns from main without Close, ends on a
// signal or is killed leaves a hosted value's behind, and an owner killed
// together with its actor (a job's process group, say) leaves the
// actor's. So such a directory holds a lock file that the
// process that made it locks (flock) for the directory's life, and the
// first hosted value or spawned actor of a process removes, in the base
// its directory went to, the directories whose lock nobody holds: their
// process is gone, whatever pid namespace it ran in, as the kernel drops a
// dead process's locks. A spawned actor cannot outlive its owner, so the
// owner's lock covers the actor too. Where locking fails, a directory gets
// no lock file and is never removed so.

// lockName is the lock file in a hosted value's or spawned actor's
// directory.
const lockName = "lock"

// staleAge is how old a directory must be before it may be removed: a
// younger one's process may not have locked it yet.
const staleAge = time.Minute

// swept holds the bases this process has swept: each is swept once.
var swept sync.Map

// makeLockedDir is makeSocketDir for a value this process hosts or an
// actor it spawns: the directory is locked, where it can be, for as long
// as it is tracked (see removeDir).
func makeLockedDir() (string, error) {
	dir, err := makeSocketDir()
	if err != nil {
		return "", err
	}
	trackLockedDir(dir, lockDir(dir))
	if base := filepath.Dir(dir); !sweptAlready(base) {
		sweepStale(base, time.Now())
	}
	return dir, nil
}

// lockDir makes dir's lock file and locks it. Where that fails (a file
// system without locks), it returns nil and leaves no lock file.
func lockDir(dir string) *os.File {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil
	}
	if tryLock(f) != nil {
		f.Close()
		os.Remove(path)
		return nil
	}
	return f
}

// sweptAlready reports whether base was swept before, and marks it swept.
func sweptAlready(base string) bool {
	_, done := swept.LoadOrStore(base, true)
	return done
}

// sweepStale removes the directories in base that a hosted value's or a
// spawned actor's process left behind.
func sweepStale(base string, now time.Time) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), "uactor-") {
			removeIfStale(filepath.Join(base, e.Name()), now)
		}
	}
}

// removeIfStale removes dir if it is this user's, at least staleAge old,
// and has a lock file that nobody holds.
func removeIfStale(dir string, now time.Time) {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || now.Sub(fi.ModTime()) < staleAge {
		return
	}
	if !ownedHere(fi) {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return // no lock: made where locking failed, or not one of ours
	}
	defer f.Close()
	if tryLock(f) == nil { // nobody holds it: its process is gone
		os.RemoveAll(dir)
	}
}

// ownedHere reports whether fi is of a file this process's user owns.
func ownedHere(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

// checkPrivateDir reports an error unless dir is a directory (not a link)
// of this user's that no one else may enter.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("private socket directory: %w", err)
	}
	if !fi.IsDir() || !ownedHere(fi) || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("private socket directory %s: %v, not a private directory of this user's", dir, fi.Mode())
	}
	return nil
}
