package registry

import (
	"context"
	"sync/atomic"

	"github.com/uactor-go/uactor/uactor"
	"golang.org/x/sync/errgroup"
)

// probeParallel bounds the dials one probe runs at once.
const probeParallel = 16

// Probe checks every registered address now, drops those whose actor is
// gone, and returns how many it dropped. The periodic probe calls it; a
// caller may too (after seeing an actor die, say). Concurrent probes share
// one run, and its count.
func (r *Registry) Probe(ctx context.Context, _ uactor.Empty) (int, error) {
	ch := r.probes.DoChan("", func() (any, error) { return r.probeAll(), nil })
	select {
	case res := <-ch:
		return res.Val.(int), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// probeAll checks a snapshot of the registered addresses, a few at a time.
func (r *Registry) probeAll() int {
	r.mu.Lock()
	entries := r.ring.snapshot()
	r.mu.Unlock()
	var n atomic.Int64
	var g errgroup.Group
	g.SetLimit(probeParallel)
	for _, e := range entries {
		g.Go(func() error {
			if v, _ := r.check(r.life, e); v == dropped {
				n.Add(1)
			}
			return nil
		})
	}
	g.Wait()
	return int(n.Load())
}
