package uactor

import (
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
	m map[*supervisor]struct{}
}

func trackSpawned(s *supervisor) {
	spawnedActors.Lock()
	defer spawnedActors.Unlock()
	if spawnedActors.m == nil {
		spawnedActors.m = map[*supervisor]struct{}{}
	}
	spawnedActors.m[s] = struct{}{}
}

func untrackSpawned(s *supervisor) {
	spawnedActors.Lock()
	delete(spawnedActors.m, s)
	spawnedActors.Unlock()
}

// stopSpawned stops every actor this process spawned, at once, each within
// its own grace period or grace, if shorter, and waits until they are gone.
func stopSpawned(grace time.Duration) {
	spawnedActors.Lock()
	all := make([]*supervisor, 0, len(spawnedActors.m))
	for s := range spawnedActors.m {
		all = append(all, s)
	}
	spawnedActors.Unlock()
	grace = max(grace, 0)
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() { s.stopWithin(min(grace, s.boot.opts.grace)) })
	}
	wg.Wait()
}
