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
// Probes asked for before a run begins its checks share that run, and its
// count; a run already checking began before its caller's call, and may
// have found alive an actor that its caller saw die since, so Probe then
// waits for the next run. If ctx ends first, Probe returns ctx's error,
// and the run carries on for the others.
func (r *Registry) Probe(ctx context.Context, _ uactor.Empty) (int, error) {
	run := r.nextProbeRun()
	select {
	case <-run.done:
		return run.n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// probeRun is one run of the probe, which its callers wait for.
type probeRun struct {
	done chan struct{} // closed once n is set
	n    int           // how many addresses it dropped
}

// nextProbeRun returns the run that has not begun its checks yet, starting
// one if there is none.
func (r *Registry) nextProbeRun() *probeRun {
	r.probeMu.Lock()
	defer r.probeMu.Unlock()
	if r.pending == nil {
		r.pending = &probeRun{done: make(chan struct{})}
		go r.runProbe(r.pending)
	}
	return r.pending
}

// runProbe waits for the run before it to end, and then until the last
// run started probeGap ago, then probes: runs go one at a time (turn
// serialises them, and it alone touches lastProbe), so at most two are
// there, the one checking and the next one.
func (r *Registry) runProbe(run *probeRun) {
	defer close(run.done)
	r.turn.Lock()
	defer r.turn.Unlock()
	ok := true
	if wait := time.Until(r.lastProbe.Add(r.probeGap())); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.life.Done():
			ok = false
		}
	}
	r.probeMu.Lock()
	r.pending = nil // a Probe from now on waits for the next run
	r.probeMu.Unlock()
	if ok {
		r.lastProbe = time.Now()
		run.n = r.probeAll()
	}
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
