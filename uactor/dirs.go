package uactor

import (
	"os"
	"sync"
)

// privateDirs are the socket directories this process must remove: those
// it made for actors it serves or spawns, and the one its owner made for it.
// An actor's process removes them however it ends short of SIGKILL
// (removeAllDirs), so that no socket directory outlives its actor; in any
// other process, Close removes a hosted value's and the owner a spawned
// actor's once it is gone, and a later process one that was left
// (hostdirs.go). Each maps to its lock file, held open until the directory
// is removed, or nil.
var privateDirs struct {
	sync.Mutex
	m map[string]*os.File
}

// trackLockedDir tracks dir, and keeps lock (if not nil) open until dir is
// removed. A lock it tracked dir with before is closed: that directory
// was removed, and dir made again.
func trackLockedDir(dir string, lock *os.File) {
	if dir == "" {
		return
	}
	privateDirs.Lock()
	defer privateDirs.Unlock()
	if privateDirs.m == nil {
		privateDirs.m = map[string]*os.File{}
	}
	if was := privateDirs.m[dir]; was != nil && was != lock {
		was.Close()
	}
	privateDirs.m[dir] = lock
}

// removeDir removes dir, one of the process's private directories.
func removeDir(dir string) {
	if dir == "" {
		return
	}
	os.RemoveAll(dir)
	privateDirs.Lock()
	lock := privateDirs.m[dir]
	delete(privateDirs.m, dir)
	privateDirs.Unlock()
	if lock != nil {
		lock.Close() // after the removal: a directory is never unlocked while it is there
	}
}

// removeAllDirs removes every private directory of the process, as it exits.
func removeAllDirs() {
	privateDirs.Lock()
	defer privateDirs.Unlock()
	for dir, lock := range privateDirs.m {
		os.RemoveAll(dir)
		if lock != nil {
			lock.Close()
		}
	}
	clear(privateDirs.m)
}
