package registry

import (
	"context"
	"sync/atomic"

	"github.com/uactor-go/uactor/uactor"
	"golang.org/x/sync/errgroup"
)

// connectParallel bounds the Connects one refresh runs at once.
const connectParallel = 8

// conns are a pool's connections, by address. Its owner serialises calls.
type conns[A, Arg any] struct {
	k    *uactor.Kind[A, Arg]
	key  []byte
	opts []uactor.Option

	refs    map[string]*conn[A]
	retired []uactor.Ref[A] // left out by the last sync: closed by the next
}

// conn is one connection of a pool: its ref, and until when the pool
// leaves it aside (UnixNano; 0: not aside), which every view of the pool
// shares, so that a refresh does not forget it.
type conn[A any] struct {
	ref  uactor.Ref[A]
	down atomic.Int64
}

// sync makes the connections match addrs: it connects to the addresses it
// has no live connection to (a ref whose actor is gone is none: another
// actor may serve there now), retires those not listed or gone, and
// returns the live refs in addrs's order (an address listed twice counts
// once, where it is first listed), with the errors of the Connects that
// failed. Its work is linear in len(addrs): a source may list thousands.
func (c *conns[A, Arg]) sync(ctx context.Context, addrs Addresses) ([]*conn[A], []string, []error) {
	for _, r := range c.retired {
		r.Close()
	}
	c.retired = nil
	listed := make([]string, 0, len(addrs)) // addrs, each once
	want := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		if !want[a] {
			want[a] = true
			listed = append(listed, a)
		}
	}
	for a, cn := range c.refs {
		if !want[a] || actorGone(cn.ref) {
			c.retired = append(c.retired, cn.ref)
			delete(c.refs, a)
		}
	}
	var missing []string
	for _, a := range listed {
		if _, ok := c.refs[a]; !ok {
			missing = append(missing, a)
		}
	}
	refs := make([]uactor.Ref[A], len(missing))
	errs := make([]error, len(missing))
	var g errgroup.Group
	g.SetLimit(connectParallel)
	for i, a := range missing {
		g.Go(func() error {
			refs[i], errs[i] = uactor.Connect(ctx, c.k, a, c.key, c.opts...)
			return nil
		})
	}
	g.Wait()
	var failed []error
	for i, a := range missing {
		if errs[i] == nil {
			c.refs[a] = &conn[A]{ref: refs[i]}
		} else {
			failed = append(failed, errs[i])
		}
	}
	var live []*conn[A]
	var liveAddrs []string
	for _, a := range listed {
		if cn, ok := c.refs[a]; ok {
			live, liveAddrs = append(live, cn), append(liveAddrs, a)
		}
	}
	return live, liveAddrs, failed
}

// actorGone reports whether r's actor is gone for good: its ref can never work again.
func actorGone[A any](r uactor.Ref[A]) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// closeAll closes every connection, live or retired.
func (c *conns[A, Arg]) closeAll() {
	for _, r := range c.retired {
		r.Close()
	}
	c.retired = nil
	for a, cn := range c.refs {
		cn.ref.Close()
		delete(c.refs, a)
	}
}
