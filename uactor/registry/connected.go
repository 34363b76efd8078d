package registry

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// refreshTimeout bounds one refresh of a ConnectedPool: its lookup and its Connects.
const refreshTimeout = 30 * time.Second

// ConnectedPool is a Pool over connections that PoolFrom (or
// PoolFromRegistry) made: a Handler, and the connections to close when done.
type ConnectedPool[Req, Resp any] struct {
	cur     atomic.Pointer[poolView[Req, Resp]]
	next    atomic.Uint64               // the round-robin tickets of every view, which so carry on the cycle
	refresh func(context.Context) error // one lookup, and the Connects it needs

	// turn holds a token while a refresh or Close runs: one at a time,
	// and none after Close. A channel, not a mutex, so that a Refresh
	// waiting for another's turn leaves when its ctx ends.
	turn   chan struct{}
	closed bool // guarded by turn
	conns  interface {
		closeAll()
		open() int
	}

	life context.Context    // ended by Close, which so cuts short a refresh under way
	end  context.CancelFunc // ends life
	done chan struct{}      // closed once the periodic refresh, if any, has stopped
}

// poolView is what a pool calls at one time: the Pool, and its addresses.
// It holds its connections open until no one uses it: a refresh that
// leaves an actor out does not close its connection under the calls that
// began before it.
type poolView[Req, Resp any] struct {
	h     uactor.Handler[Req, Resp]
	addrs []string
	users atomic.Int64 // the pool's one while the view is current, and one per call using it
	free  func()       // drops the view's hold on its connections
}

// acquire counts one more user of v, unless it has none left: it has been
// replaced, and freed.
func (v *poolView[Req, Resp]) acquire() bool {
	for {
		n := v.users.Load()
		if n == 0 {
			return false
		}
		if v.users.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release counts one user fewer, and frees v when it was the last.
func (v *poolView[Req, Resp]) release() {
	if v.users.Add(-1) == 0 {
		v.free()
	}
}

// Handle calls the pool's method on the next reachable actor (see Pool).
func (p *ConnectedPool[Req, Resp]) Handle(ctx context.Context, req Req) (Resp, error) {
	for {
		v := p.cur.Load()
		if v.acquire() { // else a refresh replaced it since the Load, and the next Load finds the new one
			defer v.release()
			return v.h.Handle(ctx, req)
		}
	}
}

// Addresses returns the addresses of the actors in the pool, in the
// source's order.
func (p *ConnectedPool[Req, Resp]) Addresses() []string {
	return append([]string(nil), p.cur.Load().addrs...)
}

// Refresh looks the source up now, connects to the actors it lists that
// the pool lacks, and leaves out those it no longer lists (their
// connections close once the calls in flight on them have ended, which
// no refresh cuts short); the round-robin cycle carries on over the new
// list, rather than starting over, and an actor that the pool left aside
// (see Pool) stays aside for its second. A lookup that fails leaves the
// pool as it was, and so does a refresh after Close. It fails with
// ErrNoActors when the source lists no actor that it could connect to;
// the pool is then empty. If ctx ends while it connects, the pool holds
// the listed actors it has reached, and Refresh returns ctx's error, as
// it does if ctx ends while it waits for another refresh to end.
// Close cuts a refresh under way short: it then fails with ErrClosed.
func (p *ConnectedPool[Req, Resp]) Refresh(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(p.life, cancel)()
	select {
	case p.turn <- struct{}{}:
		// A free turn is taken even with ctx ended: the refresh then runs
		// as far as ctx lets it, as it always has. Only a wait for another
		// refresh's turn ends with ctx.
	default:
		select {
		case p.turn <- struct{}{}:
		case <-ctx.Done():
			if p.life.Err() != nil {
				return uactor.ErrClosed
			}
			return ctx.Err()
		}
	}
	defer func() { <-p.turn }()
	if p.closed {
		return uactor.ErrClosed
	}
	err := p.refresh(ctx)
	if err != nil && p.life.Err() != nil {
		return uactor.ErrClosed
	}
	return err
}

// Close stops the periodic refresh, cuts short a refresh under way, and
// disconnects from every actor of the pool, leaving them running. Calls
// through the pool fail afterwards. Close is idempotent.
func (p *ConnectedPool[Req, Resp]) Close() error {
	p.end()
	if p.done != nil {
		<-p.done
	}
	p.turn <- struct{}{} // the refresh under way, if any, ends soon: p.end cut it short
	defer func() { <-p.turn }()
	if !p.closed {
		p.closed = true
		p.conns.closeAll()
	}
	return nil
}

// refreshEvery refreshes the pool every d until Close.
func (p *ConnectedPool[Req, Resp]) refreshEvery(d time.Duration) {
	defer close(p.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-p.life.Done():
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(p.life, refreshTimeout)
			p.Refresh(rctx) // a failed refresh keeps the pool as it was; the next one retries
			cancel()
		}
	}
}

// PoolFrom looks up the actors that src lists, connects to each with
// authkey (and opts, given to every Connect) as actors of kind k, and
// returns a Pool of m over them. Addresses that cannot be connected to
// (gone since the source last heard of them, or serving another kind) are
// left out; PoolFrom fails with ErrNoActors, wrapping the first few of
// those failures and saying how many there were, if none is left. It fails
// with the source's error if the lookup fails, and with ctx's if ctx ends
// before it has connected. An actor the source lists twice, however
// spelled ("h:1", "tcp://h:1"), is in the pool once, under the first,
// and connected to as ConnectFrom connects to it.
//
// With every > 0, the pool refreshes itself that often (see Refresh), until
// Close: actors that join the source join the pool, actors the source drops
// leave it, and actors it could not connect to are tried again. With every
// <= 0 the pool is a snapshot. ctx bounds the first lookup and its
// Connects; each later refresh has a timeout of its own.
//
//	src := registry.SRV{Name: "_workers._tcp.example.com"} // or: registry.At("reghost:5000", secret)
//	pool, err := registry.PoolFrom(ctx, src, 10*time.Second, Workers, secret, Work)
//	defer pool.Close()
//	resp, err := pool.Handle(ctx, req)
func PoolFrom[A, Arg, Req, Resp any](ctx context.Context, src Source, every time.Duration, k *uactor.Kind[A, Arg],
	authkey []byte, m uactor.Method[A, Req, Resp], opts ...uactor.Option) (*ConnectedPool[Req, Resp], error) {
	c := &conns[A, Arg]{k: k, key: append([]byte(nil), authkey...), opts: slices.Clone(opts),
		refs: map[string]*conn[A]{}, unclosed: map[*conn[A]]struct{}{}}
	p := &ConnectedPool[Req, Resp]{conns: c, turn: make(chan struct{}, 1)}
	p.life, p.end = context.WithCancel(context.Background())
	p.refresh = func(ctx context.Context) error {
		addrs, err := src.Lookup(ctx)
		if err != nil {
			return err
		}
		// The view goes out even if ctx ended in the Connects: sync
		// dropped the connections it leaves out, which close with the
		// last view that lists them.
		live, liveAddrs, errs := c.sync(ctx, addrs)
		refs, down := make([]uactor.Ref[A], len(live)), make([]*atomic.Int64, len(live))
		for i, cn := range live {
			refs[i], down[i] = cn.ref, &cn.down
		}
		c.hold(live)
		v := &poolView[Req, Resp]{h: newPool(m, refs, down, &p.next), addrs: liveAddrs, free: func() { c.releaseAll(live) }}
		v.users.Store(1)
		if old := p.cur.Swap(v); old != nil {
			old.release() // its connections close once the calls using them end
		}
		switch {
		case len(errs) > 0 && ctx.Err() != nil: // cut short: not a verdict on the actors
			// Only a Connect that failed was cut short: once every one
			// has succeeded, the refresh has done its work, however soon
			// after ctx ends.
			return ctx.Err()
		case len(live) == 0 && len(addrs) == 0:
			return fmt.Errorf("%w: the source lists no actor", ErrNoActors)
		case len(live) == 0:
			return noneReached(errs)
		}
		return nil
	}
	if err := p.refresh(ctx); err != nil {
		p.end()
		c.closeAll()
		return nil, err
	}
	if every > 0 {
		p.done = make(chan struct{})
		go p.refreshEvery(every)
	}
	return p, nil
}

// PoolFromRegistry lists the actors registered in reg, connects to each with
// authkey (and opts, given to every Connect) as actors of kind k, and
// returns a Pool of m over them: uActor's actor-pool example in one line.
//
//	pool, err := registry.PoolFromRegistry(ctx, reg, Workers, secret, Work)
//	defer pool.Close()
//	resp, err := pool.Handle(ctx, req)
//
// It is PoolFrom(ctx, Registered(reg), 0, …): the pool is a snapshot, and
// actors registered later join the next one.
func PoolFromRegistry[A, Arg, Req, Resp any](ctx context.Context, reg uactor.Ref[*Registry], k *uactor.Kind[A, Arg],
	authkey []byte, m uactor.Method[A, Req, Resp], opts ...uactor.Option) (*ConnectedPool[Req, Resp], error) {
	return PoolFrom(ctx, Registered(reg), 0, k, authkey, m, opts...)
}
