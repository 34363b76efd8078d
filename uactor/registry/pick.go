package registry

import (
	"context"

	"github.com/uactor-go/uactor/uactor"
)

// Pick returns the next registered address, round-robin, after checking
// that a listener is still there (see the package doc): an address whose
// check fails is not handed out (and is dropped if the check shows its
// actor gone), and Pick moves on to the next one. While the periodic
// probe runs, addresses whose checks failed without proving them gone,
// other than by a refusal (suspects: a host that does not answer, say),
// are tried only once the others are: the probe checks them again. A
// refused one (an actor restarting) is checked in its turn, as a refusal
// comes at once, and handed out again as soon as it is back. It answers
// OK false, not an error, when no live actor is registered. Each
// registered address is tried at most once per Pick.
//
// Pick checks one address at a time, each check taking up to DialTimeout:
// a Pick that meets several addresses that do not answer (registered but
// not yet checked, so not yet suspects) waits that long for each. Bound it
// with ctx: Pick then fails with ctx's error, and the checks it started
// carry on, their verdicts kept for the Picks that follow.
func (r *Registry) Pick(ctx context.Context, _ uactor.Empty) (Picked, error) {
	passes := []bool{false, true} // suspects: not at first, then too
	if r.cfg.ProbeInterval <= 0 {
		passes = passes[1:] // Picks alone check a suspect again: in its turn
	}
	// Concurrent Picks move the one cursor between this one's steps: what
	// this one has tried, not how often it moved, tells when it is done.
	tried := map[string]bool{}
	for _, suspects := range passes {
		for {
			r.mu.Lock()
			e, ok := r.ring.advance(tried, suspects)
			r.mu.Unlock()
			if !ok {
				break
			}
			tried[e.addr] = true
			v, err := r.check(ctx, e)
			if err != nil {
				return Picked{}, err
			}
			if v == alive {
				return Picked{Address: e.addr, OK: true}, nil
			}
		}
	}
	return Picked{}, nil
}
