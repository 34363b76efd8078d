package uactor

import (
	"fmt"
	"sync"
	"time"
)

// spawnedActors are the actors this process spawned (their supervisors),
// until their life ends. An actor's process stops them gracefully as it
// stops (stopProcess): left to its exit, they would see their owner gone
// and end at once, cutting their calls in flight short of the grace
// period that Close promises.
var spawnedActors struct {
	sync.Mutex
	m      map[*supervisor]struct{}
	closed bool // stopSpawned has begun: Spawn fails with ErrClosed
}

// errSpawnClosed is why Spawn fails in an actor's process once that has
// stopped the actors it spawned: one started then would not be stopped
// gracefully, but cut off as the process exits.
var errSpawnClosed = fmt.Errorf("%w: this actor's process is stopping, and has stopped its own actors", ErrClosed)

// spawnClosed reports whether stopSpawned has begun.
func spawnClosed() bool {
	spawnedActors.Lock()
	defer spawnedActors.Unlock()
	return spawnedActors.closed
}

// trackSpawned tracks s, unless stopSpawned has begun: then it reports
// false, and s is left for its caller to stop.
func trackSpawned(s *supervisor) bool {
	spawnedActors.Lock()
	defer spawnedActors.Unlock()
	if spawnedActors.closed {
		return false
	}
	if spawnedActors.m == nil {
		spawnedActors.m = map[*supervisor]struct{}{}
	}
	spawnedActors.m[s] = struct{}{}
	return true
}

func untrackSpawned(s *supervisor) {
	spawnedActors.Lock()
	delete(spawnedActors.m, s)
	spawnedActors.Unlock()
}

// stopSpawned stops every actor this process spawned, at once, each within
// its own grace period or grace, if shorter, and waits until they are gone:
// one that has not exited stopMargin after that, or at killBy if that is
// sooner, is killed. From then on, Spawn in this process fails
// (errSpawnClosed).
func stopSpawned(grace time.Duration, killBy time.Time) {
	spawnedActors.Lock()
	spawnedActors.closed = true
	all := make([]*supervisor, 0, len(spawnedActors.m))
	for s := range spawnedActors.m {
		all = append(all, s)
	}
	spawnedActors.Unlock()
	grace = max(grace, 0)
	var wg sync.WaitGroup
	for _, s := range all {
		g := min(grace, s.boot.opts.grace)
		wait := min(addSat(g, stopMargin), max(time.Until(killBy), 0))
		wg.Go(func() { s.stopBy(min(g, wait), wait) })
	}
	wg.Wait()
}
