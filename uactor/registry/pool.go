package registry

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// retryAfter is how long a pool leaves aside a ref that it could not reach,
// before it tries that ref again in its turn.
const retryAfter = time.Second

// Pool returns a Handler that spreads calls of m round-robin over refs: the
// uActor's actor pool, as one value. A call that cannot reach its actor (the
// dial fails, the ref was closed or its actor gone for good before the call
// began, the actor is stopping or was replaced, or it refused the call over
// its in-flight bound: see below) goes to the next actor, and the one that
// failed is left aside for a second, so that the live actors share the
// calls evenly. A call reaches each actor at most once. When no actor can
// be reached, the call fails with ErrNoActors, wrapping the last failure.
//
// Only errors that prove the call did not run move it on. What the handler
// returned (a *uactor.RemoteError or a registered sentinel), a panic, an
// unknown method, the caller's context ending, an authkey or protocol
// failure, uactor.ErrActorDied (the call was in flight when the
// connection broke, so it may have run), and uactor.ErrClosed for a call
// in flight when its ref was closed come back to the caller as they are:
// retrying those could run a call twice or hide a real failure.
//
// The pool does not own the refs: close them when done with it.
func Pool[A, Req, Resp any](m uactor.Method[A, Req, Resp], refs ...uactor.Ref[A]) uactor.Handler[Req, Resp] {
	down := make([]*atomic.Int64, len(refs))
	for i := range down {
		down[i] = new(atomic.Int64)
	}
	return newPool(m, refs, down, new(atomic.Uint64))
}

// newPool is Pool, taking its round-robin tickets from next and keeping
// each ref's mark of being left aside in down (one per ref): a
// ConnectedPool's successive views share them, so that a refresh neither
// sends the next call to the first actor again nor forgets which actors
// could not be reached a moment ago.
func newPool[A, Req, Resp any](m uactor.Method[A, Req, Resp], refs []uactor.Ref[A], down []*atomic.Int64, next *atomic.Uint64) *pool[A, Req, Resp] {
	return &pool[A, Req, Resp]{
		m:    m,
		refs: append([]uactor.Ref[A](nil), refs...),
		next: next,
		down: down,
	}
}

type pool[A, Req, Resp any] struct {
	m    uactor.Method[A, Req, Resp]
	refs []uactor.Ref[A]
	next *atomic.Uint64  // round-robin tickets
	down []*atomic.Int64 // per ref: left aside until this time (UnixNano), or 0
}

// Handle calls m on the next reachable actor.
func (p *pool[A, Req, Resp]) Handle(ctx context.Context, req Req) (Resp, error) {
	var zero Resp
	n := len(p.refs)
	if n == 0 {
		return zero, fmt.Errorf("%w: pool of %s: the pool is empty", ErrNoActors, p.m.Name())
	}
	var small [16]bool
	tried := small[:]
	if n > len(small) {
		tried = make([]bool, n)
	}
	tried = tried[:n]
	var last error
	for range n {
		i := p.choose(tried)
		tried[i] = true
		// A ref already closed, or whose actor is gone for good, sends
		// nothing: whatever its call fails with, it did not run.
		ended := actorGone(p.refs[i])
		resp, err := p.m.Call(ctx, p.refs[i], req)
		if err == nil || !(ended || undelivered(err)) || ctx.Err() != nil {
			if err == nil && p.down[i].Load() != 0 {
				p.down[i].Store(0)
			}
			return resp, err
		}
		p.down[i].Store(time.Now().Add(retryAfter).UnixNano())
		last = err
	}
	return zero, fmt.Errorf("%w: pool of %s (%d tried): %w", ErrNoActors, p.m.Name(), n, last)
}

// choose takes round-robin tickets until one names a ref that this call has
// not tried and that is not left aside; failing that, it returns an untried
// ref that is left aside (better than failing the call).
func (p *pool[A, Req, Resp]) choose(tried []bool) int {
	n := uint64(len(tried))
	var now int64
	aside := -1
	for range n {
		i := int((p.next.Add(1) - 1) % n)
		if tried[i] {
			continue
		}
		d := p.down[i].Load()
		if d == 0 {
			return i
		}
		if now == 0 {
			now = time.Now().UnixNano()
		}
		if d <= now {
			return i
		}
		if aside < 0 {
			aside = i
		}
	}
	if aside >= 0 {
		return aside
	}
	for i, t := range tried { // concurrent calls took the tickets we needed
		if !t {
			return i
		}
	}
	return 0 // not reached: Handle makes at most len(tried) choices
}
