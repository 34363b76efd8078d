package uactor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/internal/keyring"
)

// peer is this process's link to one address under one key: every ref to
// an actor there shares it, and so shares one connection. A broken
// connection is replaced at once by a fresh dial, retried for up to
// DialTimeout (an actor that restarts at its address in that time is
// reached again, and one that refuses it at its MaxConnections bound is
// asked again, backing off, not hammered); concurrent callers wait for the
// same dial. If that fails, or another actor answers, or the actor said
// GOAWAY (it stopped for good: goaway.go), the actor is gone: the refs'
// lives end (Done) and calls fail with ErrActorDied, without a dial.
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
	quit    context.Context          // done with closed: ends a dial and a reconnect's wait
	stop    context.CancelFunc       // quit's
	served  uuid.UUID                // the actor the last connection reached; zero: none yet
	gone    error                    // set once the actor is found gone
	lives   map[*life]struct{}       // of the refs that learn from this peer when the actor is gone
	learned map[keyring.KeyID]func() // the ids the actors reached name the key by, held until the last release
}

type dialResult struct {
	done chan struct{}
	c    *clientConn
	err  error
}

// poolKey says which connections can be shared: same address, same key,
// the same actor expected there (zero: any, for Connect), so that a dial
// knows whom to expect and refuses another before proving anything, and the
// same connection options, so that no ref takes another's settings.
type poolKey struct {
	addr string
	key  string
	id   uuid.UUID
	cfg  connConfig
}

var pool struct {
	sync.Mutex
	peers map[poolKey]*peer
}

// acquirePeer returns the shared peer for a, key and the actor id expected
// there, holding one reference to it until release.
func acquirePeer(a address, key []byte, id uuid.UUID, o options) *peer {
	k := poolKey{a.String(), string(key), id, o.connConfig()}
	pool.Lock()
	defer pool.Unlock()
	if pool.peers == nil {
		pool.peers = map[poolKey]*peer{}
	}
	p := pool.peers[k]
	if p == nil {
		p = &peer{poolKey: k, addr: a, key: key, opts: o, lives: map[*life]struct{}{}}
		p.quit, p.stop = context.WithCancel(context.Background())
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
	if last && pool.peers[p.poolKey] == p { // a gone peer has already made way for a fresh one
		delete(pool.peers, p.poolKey)
	}
	pool.Unlock()
	if !last {
		return
	}
	p.mu.Lock()
	p.closed = true
	p.stop()
	c := p.cur.Swap(nil)
	learned := p.learned
	p.learned = nil
	p.mu.Unlock()
	if c != nil {
		c.close(ErrClosed)
	}
	for _, forget := range learned {
		forget()
	}
}

// conn returns a live connection, dialling if there is none.
func (p *peer) conn(ctx context.Context) (*clientConn, error) {
	if c := p.cur.Load(); c != nil && c.usable() {
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
	if p.gone != nil {
		p.mu.Unlock()
		return nil, p.gone
	}
	if err := ctxEnded(ctx); err != nil { // a call that has ended already starts no dial
		p.mu.Unlock()
		return nil, errorf("uactor: not dialling %s: %w", p.addr, err)
	}
	d := p.startDial()
	p.mu.Unlock()
	select {
	case <-d.done:
		return d.c, d.err
	case <-ctx.Done():
		return nil, errorf("uactor: dial %s: %w", p.addr, ctx.Err())
	}
}

// ctxEnded returns ctx's error, or context.DeadlineExceeded once its
// deadline has passed: Err stays nil until the context's timer fires,
// which may be a while after the deadline on a busy process.
func ctxEnded(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// startDial starts a dial unless one is under way, and returns it; p.mu is held.
func (p *peer) startDial() *dialResult {
	if p.dialing == nil {
		p.dialing = &dialResult{done: make(chan struct{})}
		// The dial runs on its own clock, not ctx's: other callers may be
		// waiting for it, and one caller giving up must not fail them all.
		// It ends early only once no ref is left to want it (release).
		go p.dial(p.dialing, p.served)
	}
	return p.dialing
}

// Reconnecting retries from reconnectFirstWait, doubling up to reconnectMaxWait.
const (
	reconnectFirstWait = 10 * time.Millisecond
	reconnectMaxWait   = 250 * time.Millisecond
)

// dial dials once, or, to reconnect after a connection broke, until it
// succeeds, DialTimeout has passed or the dial cannot succeed. A copy of a
// ref, which names its actor, dials for the first time the same way: its
// actor may be restarting, and calls made meanwhile wait for it. A first
// dial that the actor turned away before its verdict (its handshake budget
// full under a flood, where the newest connection takes the place of one
// whose hello or proof has not come) is tried again the same way, and so
// is one that found its Unix socket's backlog full: the system refuses that
// connect at once (EAGAIN), where TCP's waits for room. served is the actor
// the last connection reached (zero: none yet): a reconnect expects it, as
// a ref that names its actor does, and so proves nothing to another. An
// actor at its MaxConnections bound refuses in its verdict, so a reconnect
// to it waits between tries as for any failed dial; Connect's first dial
// does not try again (its caller gets ErrBusy at once, and decides).
func (p *peer) dial(d *dialResult, served uuid.UUID) {
	named := p.poolKey.id != uuid.UUID{}
	reconnect := served != uuid.UUID{}
	expect := p.poolKey.id
	if reconnect {
		expect = served
	}
	end := time.Now().Add(p.opts.dialTimeout)
	wait := reconnectFirstWait
	for {
		// Each try connects by end, not DialTimeout after it starts: one
		// begun just before end would otherwise stretch the dial to
		// nearly twice DialTimeout.
		ctx, cancel := context.WithTimeout(p.quit, addSat(p.opts.dialTimeout, p.opts.handshake))
		d.c, d.err = dialConn(ctx, p.addr, end, p.key, expect, p.opts)
		cancel()
		retry := reconnect || named || errors.Is(d.err, handshake.ErrTurnedAway) || errors.Is(d.err, syscall.EAGAIN)
		if d.err == nil || !retry || hopeless(p.addr, d.err) || time.Now().Add(wait).After(end) {
			break
		}
		select {
		case <-time.After(wait):
		case <-p.quit.Done():
		}
		if p.isClosedOrGone() || !time.Now().Before(end) { // a GOAWAY, say, read on the connection that broke; or the wait overran end
			break
		}
		wait = min(2*wait, reconnectMaxWait)
	}
	// An actor that this very process hosts is not gone for being full:
	// Host's own ref, and every other ref here that shares its
	// connection, must reach it again once a connection there ends.
	_, full := errors.AsType[*fullError](d.err)
	fullHere := full && hostedHere(expect)
	p.mu.Lock()
	p.dialing = nil
	switch {
	case p.closed: // whatever the dial came to, or was cut short by
		if d.err == nil {
			d.c.close(ErrClosed)
		}
		d.c, d.err = nil, ErrClosed
	case p.gone != nil: // found gone while this dial ran (keepalive): it stays gone
		if d.err == nil {
			d.c.close(ErrClosed)
		}
		d.c, d.err = nil, p.gone
	case d.err == nil && reconnect && d.c.actorID != p.served:
		other := d.c.actorID
		d.c.close(ErrClosed)
		d.c, d.err = nil, p.markGone(fmt.Errorf("%w: %s now serves actor %s", ErrWrongActor, p.addr, other))
	case d.err == nil:
		p.use(d.c)
	case fullHere: // its calls fail as busy; the next call dials again
	case reconnect || named:
		// A copy of a ref, dialling for the first time, names an actor it
		// could not reach within DialTimeout (or whose owner has removed
		// its directory): gone for good, as a reconnect would have found.
		// (Connect names no actor: a wrong path it is given is not an
		// actor that died.)
		d.err = p.markGone(d.err)
	}
	p.mu.Unlock()
	close(d.done)
}

// testHookDial, nil outside tests, is told of each dial before it connects,
// with the time it must connect by, and fails it with the error it returns.
var testHookDial atomic.Pointer[func(a address, by time.Time) error]

// hopeless reports whether a failed dial is worth no retry: another actor
// or another key is there, something that does not speak this protocol
// (or this version of it) answers there, which no restart of the actor
// would, or the actor's socket directory is gone (its owner removes it
// only once no restart follows).
func hopeless(a address, err error) bool {
	return errors.Is(err, ErrAuthKey) || errors.Is(err, ErrWrongActor) || errors.Is(err, ErrProtocol) || dirGone(a)
}

// dirGone reports whether a is a Unix socket whose directory is gone.
func dirGone(a address) bool {
	if a.network != "unix" {
		return false
	}
	_, err := os.Stat(filepath.Dir(a.addr))
	return errors.Is(err, fs.ErrNotExist)
}

func (p *peer) isClosedOrGone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed || p.gone != nil
}

// use makes c the peer's connection, and has its end start a reconnect; p.mu is held.
func (p *peer) use(c *clientConn) {
	p.cur.Store(c)
	p.served = c.actorID
	if _, ok := p.learned[c.keyID]; !ok {
		if p.learned == nil {
			p.learned = map[keyring.KeyID]func(){}
		}
		// Refs to actors there name the key by it, for as long as some
		// ref holds this peer: not for good, which would keep an id for
		// every actor this process ever reached with a key it keeps.
		p.learned[c.keyID] = heldKeys.Learn(p.key, c.keyID)
	}
	if err := c.onClose(func(err error) { p.broke(c, err) }); err != nil {
		p.startDial() // it broke already
	}
}

// broke is told that c ended with err: if c was the peer's connection, a
// silent actor, or one that said GOAWAY, is gone, and any other break
// starts a reconnect at once, so that Done learns of a dead actor even if
// no call is made.
func (p *peer) broke(c *clientConn, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.gone != nil || p.cur.Load() != c {
		return
	}
	if endsActor(err) {
		p.markGone(err)
		return
	}
	p.startDial()
}

// markGone records that the actor is gone, ends the lives watching it, and
// makes way in the pool for a fresh peer; p.mu is held. It returns the error
// calls fail with from now on.
func (p *peer) markGone(cause error) error {
	p.gone = &goneError{addr: p.addr.String(), cause: cause}
	for l := range p.lives {
		l.end(p.gone)
	}
	clear(p.lives)
	pool.Lock()
	if pool.peers[p.poolKey] == p {
		delete(pool.peers, p.poolKey)
	}
	pool.Unlock()
	return p.gone
}

// watch has l end when the actor is found gone.
func (p *peer) watch(l *life) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone != nil {
		l.end(p.gone)
		return
	}
	p.lives[l] = struct{}{}
}

func (p *peer) unwatch(l *life) {
	p.mu.Lock()
	delete(p.lives, l)
	p.mu.Unlock()
}

// goneError is why a peer's actor is gone. It matches ErrActorDied and its cause.
type goneError struct {
	addr  string
	cause error
}

func (e *goneError) Error() string {
	cause := strings.TrimPrefix(e.cause.Error(), "uactor: ")
	if _, full := errors.AsType[*fullError](e.cause); full { // alive, but no use to its refs
		return "uactor: gave up on the actor at " + e.addr + " after DialTimeout: " + cause
	}
	if errors.Is(e.cause, ErrAuthKey) { // maybe alive: the key is what is wrong
		return "uactor: gave up on the actor at " + e.addr + ": " + cause
	}
	return "uactor: actor at " + e.addr + " is gone: " + cause
}

func (e *goneError) Unwrap() []error { return []error{ErrActorDied, e.cause} }

// isGone reports whether the peer has given its actor up.
func (p *peer) isGone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gone != nil
}
