package uactor

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

// peer is this process's link to one address under one key: every ref to
// an actor there shares it, and so shares one connection. A broken
// connection is replaced by a fresh dial on the next call; concurrent
// callers wait for the same dial.
type peer struct {
	poolKey poolKey
	addr    address
	key     []byte
	opts    options

	cur atomic.Pointer[clientConn]

	mu      sync.Mutex
	dialing *dialResult
	refs    int // guarded by pool.mu
	closed  bool
}

type dialResult struct {
	done chan struct{}
	c    *clientConn
	err  error
}

// poolKey says which connections can be shared: same address, same key,
// and the same actor expected there (zero: any, for Connect), so that a
// dial knows whom to expect and refuses another before proving anything.
type poolKey struct {
	addr string
	key  string
	id   uuid.UUID
}

var pool struct {
	sync.Mutex
	peers map[poolKey]*peer
}

// acquirePeer returns the shared peer for a, key and the actor id expected
// there, holding one reference to it until release.
func acquirePeer(a address, key []byte, id uuid.UUID, o options) *peer {
	k := poolKey{a.String(), string(key), id}
	pool.Lock()
	defer pool.Unlock()
	if pool.peers == nil {
		pool.peers = map[poolKey]*peer{}
	}
	p := pool.peers[k]
	if p == nil {
		p = &peer{poolKey: k, addr: a, key: key, opts: o}
		pool.peers[k] = p
	}
	p.refs++
	return p
}

// release drops one reference; the last one closes the connection.
func (p *peer) release() {
	pool.Lock()
	p.refs--
	last := p.refs == 0
	if last {
		delete(pool.peers, p.poolKey)
	}
	pool.Unlock()
	if !last {
		return
	}
	p.mu.Lock()
	p.closed = true
	c := p.cur.Swap(nil)
	p.mu.Unlock()
	if c != nil {
		c.close(ErrClosed)
	}
}

// adopt makes c the peer's connection if it has none (and closes c if it
// has one already, or is closed).
func (p *peer) adopt(c *clientConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !p.cur.CompareAndSwap(nil, c) {
		c.close(ErrClosed)
	}
}

// conn returns a live connection, dialling if there is none.
func (p *peer) conn(ctx context.Context) (*clientConn, error) {
	if c := p.cur.Load(); c != nil && !c.broken.Load() {
		return c, nil
	}
	p.mu.Lock()
	if c := p.cur.Load(); c != nil && !c.broken.Load() {
		p.mu.Unlock()
		return c, nil
	}
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	d := p.dialing
	if d == nil {
		d = &dialResult{done: make(chan struct{})}
		p.dialing = d
		// The dial runs on its own clock, not ctx's: other callers may be
		// waiting for it, and one caller giving up must not fail them all.
		go p.dial(d)
	}
	p.mu.Unlock()
	select {
	case <-d.done:
		return d.c, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *peer) dial(d *dialResult) {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.dialTimeout+p.opts.handshake)
	defer cancel()
	d.c, d.err = dialConn(ctx, p.addr, p.key, p.poolKey.id, p.opts)
	p.mu.Lock()
	p.dialing = nil
	if d.err == nil {
		if p.closed {
			d.c.close(ErrClosed)
			d.c, d.err = nil, ErrClosed
		} else {
			p.cur.Store(d.c)
		}
	}
	p.mu.Unlock()
	close(d.done)
}
