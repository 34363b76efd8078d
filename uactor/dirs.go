package uactor

import (
	"os"
	"sync"
)

// privateDirs are the socket directories this process must remove: those
// it made for actors it serves or spawns, and the one its owner made for it.
// Whatever way the process ends short of SIGKILL, it removes them
// (removeAllDirs), so that no socket directory outlives its actor.
var privateDirs struct {
	sync.Mutex
	m map[string]struct{}
}

func trackDir(dir string) {
	if dir == "" {
		return
	}
	privateDirs.Lock()
	defer privateDirs.Unlock()
	if privateDirs.m == nil {
		privateDirs.m = map[string]struct{}{}
	}
	privateDirs.m[dir] = struct{}{}
}

// removeDir removes dir, one of the process's private directories.
func removeDir(dir string) {
	if dir == "" {
		return
	}
	os.RemoveAll(dir)
	privateDirs.Lock()
	delete(privateDirs.m, dir)
	privateDirs.Unlock()
}

// removeAllDirs removes every private directory of the process, as it exits.
func removeAllDirs() {
	privateDirs.Lock()
	defer privateDirs.Unlock()
	for dir := range privateDirs.m {
		os.RemoveAll(dir)
	}
	clear(privateDirs.m)
}
