package registry

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/uactor-go/uactor/uactor"
	"golang.org/x/sync/errgroup"
)

// connectParallel bounds the Connects one refresh runs at once.
const connectParallel = 8

// testHookConnected, if set, runs as sync's Connects have all returned:
// a test ends the context there.
var testHookConnected atomic.Pointer[func()]

// conns are a pool's connections, by address. Its owner serialises sync
// and closeAll; views release their holds from any goroutine.
type conns[A, Arg any] struct {
	k    *uactor.Kind[A, Arg]
	key  []byte
	opts []uactor.Option

	refs map[string]*conn[A] // what the source lists and the pool reached, by actorKey

	mu       sync.Mutex            // guards the holds and unclosed
	unclosed map[*conn[A]]struct{} // every connection not closed yet, listed or not
}

// conn is one connection of a pool: its ref, until when the pool leaves it
// aside (UnixNano; 0: not aside), which every view of the pool shares, so
// that a refresh does not forget it, and who holds it open.
type conn[A any] struct {
	ref   uactor.Ref[A]
	down  atomic.Int64
	holds int // guarded by conns.mu: refs's, while it lists the conn, and each view's that does
}

// sync makes the connections match addrs: it connects to the addresses it
// has no live connection to (a ref whose actor is gone is none: another
// actor may serve there now), drops its hold on those not listed or gone,
// and returns the live connections in addrs's order (an actor listed
// twice, however spelled, counts once, where and as it is first listed,
// and is dialled as groupListed says),
// with the errors of the Connects that failed. Its work is linear in
// len(addrs): a source may list thousands. A connection dropped stays open
// for as long as a view that lists it holds it: calls in flight on it are
// not cut short.
func (c *conns[A, Arg]) sync(ctx context.Context, addrs Addresses) ([]*conn[A], []string, []error) {
	actors := groupListed(addrs)
	want := make(map[string]bool, len(actors))
	for _, la := range actors {
		want[la.key] = true
	}
	for k, cn := range c.refs {
		if !want[k] || actorGone(cn.ref) {
			delete(c.refs, k)
			c.release(cn)
		}
	}
	var missing []int // indexes in actors
	for i, la := range actors {
		if _, ok := c.refs[la.key]; !ok {
			missing = append(missing, i)
		}
	}
	refs := make([]uactor.Ref[A], len(missing))
	errs := make([]error, len(missing))
	var g errgroup.Group
	g.SetLimit(connectParallel)
	for i, li := range missing {
		g.Go(func() error {
			refs[i], errs[i] = connectListed(ctx, actors[li], c.k, c.key, c.opts...)
			return nil
		})
	}
	g.Wait()
	if h := testHookConnected.Load(); h != nil {
		(*h)()
	}
	var failed []error
	for i, li := range missing {
		if errs[i] != nil {
			failed = append(failed, errs[i])
			continue
		}
		cn := &conn[A]{ref: refs[i], holds: 1}
		c.mu.Lock()
		c.unclosed[cn] = struct{}{}
		c.mu.Unlock()
		c.refs[actors[li].key] = cn
	}
	var live []*conn[A]
	var liveAddrs []string
	for _, la := range actors {
		if cn, ok := c.refs[la.key]; ok {
			live, liveAddrs = append(live, cn), append(liveAddrs, la.first)
		}
	}
	return live, liveAddrs, failed
}

// hold takes a hold on each of cs, for a view that lists them.
func (c *conns[A, Arg]) hold(cs []*conn[A]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cn := range cs {
		cn.holds++
	}
}

// releaseAll drops a hold on each of cs: a view that nothing uses any more.
func (c *conns[A, Arg]) releaseAll(cs []*conn[A]) {
	for _, cn := range cs {
		c.release(cn)
	}
}

// release drops a hold on cn, and closes it if that was the last one.
func (c *conns[A, Arg]) release(cn *conn[A]) {
	c.mu.Lock()
	cn.holds--
	last := cn.holds == 0
	if last {
		delete(c.unclosed, cn)
	}
	c.mu.Unlock()
	if last {
		cn.ref.Close()
	}
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

// open returns how many connections are open.
func (c *conns[A, Arg]) open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.unclosed)
}

// closeAll closes every connection, listed or still in use by a call.
func (c *conns[A, Arg]) closeAll() {
	c.mu.Lock()
	all := c.unclosed
	c.unclosed = map[*conn[A]]struct{}{}
	c.mu.Unlock()
	for cn := range all {
		cn.ref.Close()
	}
	clear(c.refs)
}
