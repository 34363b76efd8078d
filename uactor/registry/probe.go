package registry

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"golang.org/x/sync/errgroup"
)

// probeParallel bounds the dials one probe runs at once.
const probeParallel = 16

// Probe checks every registered address, drops those whose actor is gone,
// and returns how many it dropped. The periodic probe calls it; a caller
// may too (after seeing an actor die, say). Probes start at most once per
// ProbeInterval or DefaultProbeInterval, whichever is shorter (per
// DefaultProbeInterval with the periodic probe off), whoever asks for
// them: one asked for sooner waits for its turn, so that a caller cannot
// make the registry dial what it holds as often as it can call.
// Concurrent probes share one run, and its count.
func (r *Registry) Probe(ctx context.Context, _ uactor.Empty) (int, error) {
	ch := r.probes.DoChan("", func() (any, error) { return r.probeInTurn(), nil })
	select {
	case res := <-ch:
		return res.Val.(int), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// probeInTurn waits until the last probe started probeGap ago, then
// probes. The probes group runs it one at a time: it alone touches
// lastProbe.
func (r *Registry) probeInTurn() int {
	if wait := time.Until(r.lastProbe.Add(r.probeGap())); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.life.Done():
			return 0
		}
	}
	r.lastProbe = time.Now()
	return r.probeAll()
}

// probeGap is the least time between the starts of two probes: the
// periodic probe's interval, or DefaultProbeInterval if that is longer or
// the periodic probe is off (a registry that probes seldom may still be
// asked to probe now, not only once an interval of an hour is over).
func (r *Registry) probeGap() time.Duration {
	if d := r.cfg.ProbeInterval; d > 0 && d < DefaultProbeInterval {
		return d
	}
	return DefaultProbeInterval
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
