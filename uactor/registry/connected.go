package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/uactor-go/uactor/uactor"
	"golang.org/x/sync/errgroup"
)

// connectParallel bounds the Connects PoolFromRegistry runs at once.
const connectParallel = 8

// ConnectedPool is a Pool over connections that PoolFromRegistry made: a
// Handler, and the connections to close when done.
type ConnectedPool[Req, Resp any] struct {
	h     uactor.Handler[Req, Resp]
	addrs []string
	close func()
}

// Handle calls the pool's method on the next reachable actor (see Pool).
func (p *ConnectedPool[Req, Resp]) Handle(ctx context.Context, req Req) (Resp, error) {
	return p.h.Handle(ctx, req)
}

// Addresses returns the addresses of the actors in the pool, in the registry's order.
func (p *ConnectedPool[Req, Resp]) Addresses() []string { return append([]string(nil), p.addrs...) }

// Close disconnects from every actor of the pool, leaving them running.
// Calls through the pool fail afterwards. Close is idempotent.
func (p *ConnectedPool[Req, Resp]) Close() error {
	p.close()
	return nil
}

// PoolFromRegistry lists the actors registered in reg, connects to each with
// authkey (and opts, given to every Connect) as actors of kind k, and
// returns a Pool of m over them: uActor's actor-pool example in one line.
//
//	pool, err := registry.PoolFromRegistry(ctx, reg, Workers, secret, Work)
//	defer pool.Close()
//	resp, err := pool.Handle(ctx, req)
//
// Addresses that cannot be connected to (gone since the registry last
// checked, or serving another kind) are left out; PoolFromRegistry fails
// with ErrNoActors, wrapping those failures, only if none is left. The pool
// is a snapshot: actors registered later join the next one.
func PoolFromRegistry[A, Arg, Req, Resp any](ctx context.Context, reg uactor.Ref[*Registry], k *uactor.Kind[A, Arg],
	authkey []byte, m uactor.Method[A, Req, Resp], opts ...uactor.Option) (*ConnectedPool[Req, Resp], error) {
	addrs, err := List.Call(ctx, reg, uactor.Empty{})
	if err != nil {
		return nil, err
	}
	refs := make([]uactor.Ref[A], len(addrs))
	errs := make([]error, len(addrs))
	var g errgroup.Group
	g.SetLimit(connectParallel)
	for i, a := range addrs {
		g.Go(func() error {
			refs[i], errs[i] = uactor.Connect(ctx, k, a, authkey, opts...)
			return nil
		})
	}
	g.Wait()
	var live []uactor.Ref[A]
	var liveAddrs []string
	for i, r := range refs {
		if errs[i] == nil {
			live, liveAddrs = append(live, r), append(liveAddrs, addrs[i])
		}
	}
	closeAll := sync.OnceFunc(func() {
		for _, r := range live {
			r.Close()
		}
	})
	switch {
	case ctx.Err() != nil:
		closeAll()
		return nil, ctx.Err()
	case len(live) == 0 && len(addrs) == 0:
		return nil, fmt.Errorf("registry: %w: the registry lists no actor", ErrNoActors)
	case len(live) == 0:
		return nil, fmt.Errorf("registry: %w: %w", ErrNoActors, errors.Join(errs...))
	}
	return &ConnectedPool[Req, Resp]{h: Pool(m, live...), addrs: liveAddrs, close: closeAll}, nil
}
