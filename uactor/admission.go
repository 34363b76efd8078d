package uactor

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
)

// Connections still in their handshake have a budget of their own
// (MaxHandshakes), apart from the authenticated ones that MaxConnections
// bounds: a peer without the key can then hold no slot that a key holder
// needs. When the budget is full, a new connection takes the place of the
// one that has waited longest for bytes from its peer (a silent or dripping
// peer, which an honest client never is for long: it sends its hello as soon
// as it connects, and its proof one round trip later). Only connections
// blocked reading can be evicted, so a proof that was read is always
// answered, and an eviction tells a guesser nothing.

// hsConn is a connection in its handshake; it notes how far its peer got
// and when its reader started waiting for the peer.
type hsConn struct {
	net.Conn
	left         atomic.Bool  // its goroutine gave back its hsRun token
	admitted     int64        // unix nanoseconds
	helloQueued  bool         // its whole hello was seen waiting in the socket buffer; guarded by server.mu
	waitingSince atomic.Int64 // unix nanoseconds; 0 while not reading, evictedMark once evicted so
	got          atomic.Int64 // bytes received
}

// evictedMark is the waitingSince of a connection evicted as it waited
// for its proof.
const evictedMark = -1

// errEvicted fails the read that an eviction overtook.
var errEvicted = fmt.Errorf("%w: evicted for a new connection (MaxHandshakes)", net.ErrClosed)

// Read reads from the peer. Its reader and an eviction each try to swap
// waitingSince from the same reading: the one that loses learns of the
// other. An eviction wins only while the read has not returned, and the
// read then fails, so that a proof the handshake got is never evicted.
func (c *hsConn) Read(b []byte) (int, error) {
	since := time.Now().UnixNano()
	c.waitingSince.Store(since)
	n, err := c.Conn.Read(b)
	c.got.Add(int64(n))
	if !c.waitingSince.CompareAndSwap(since, 0) {
		return 0, errEvicted
	}
	return n, err
}

// An evicted connection's goroutine still runs until it notices that its
// connection closed, and under a flood evictions can outpace those exits:
// so the goroutines in a handshake, evicted ones included, are bounded too,
// by twice MaxHandshakes (server.hsRun). At the bound the accept loop waits,
// and new connections wait in the kernel's backlog. A goroutine gives its
// token back once its handshake ends, or when it enters the penalty box,
// which bounds it on its own: a flood of wrong proofs never holds up accepts.

// leftHandshake gives hc's goroutine's token back, once.
func (s *server) leftHandshake(hc *hsConn) {
	if hc.left.CompareAndSwap(false, true) {
		<-s.hsRun
	}
}

// admit takes a freshly accepted connection into the handshake budget,
// evicting a victim if the budget is full. It returns nil, having closed
// nc, if the actor is stopping or no connection can make room.
func (s *server) admit(nc net.Conn) *hsConn {
	now := time.Now().UnixNano()
	hc := &hsConn{Conn: nc, admitted: now}
	var victim *hsConn
	s.mu.Lock()
	if !s.draining.Load() && len(s.hs) >= s.opts.maxHS {
		if victim = s.victim(now); victim != nil {
			delete(s.hs, victim)
		}
	}
	ok := !s.draining.Load() && len(s.hs) < s.opts.maxHS
	if ok {
		s.hs[hc] = struct{}{}
	}
	s.mu.Unlock()
	if victim != nil {
		victim.Close()
	}
	if !ok {
		nc.Close()
		return nil
	}
	return hc
}

// victim picks the connection to evict: first one whose peer has not sent
// its whole hello (an honest client sends it at once), the oldest first;
// else the one waited on longest for its proof; else none. A hello that
// arrived but was not read yet (its reader has not run) counts as sent.
func (s *server) victim(now int64) *hsConn {
	var young, waiting *hsConn
	var youngAge, since, waited int64
	for c := range s.hs {
		got := c.got.Load()
		if got < handshake.ClientHelloSize {
			if c.helloQueued {
				continue
			}
			if age := now - c.admitted; young == nil || age > youngAge {
				young, youngAge = c, age
			}
		} else if w := c.waitingSince.Load(); w > 0 && (waiting == nil || now-w > waited) {
			waiting, since, waited = c, w, now-w
		}
	}
	if young != nil && pending(young.Conn) >= handshake.ClientHelloSize-int(young.got.Load()) {
		young.helloQueued = true // under s.mu, like every read of it
		return s.victim(now)
	}
	if young != nil {
		return young
	}
	if waiting != nil && !waiting.waitingSince.CompareAndSwap(since, evictedMark) {
		return s.victim(now) // its read has just returned: it waits no more, or waits anew
	}
	return waiting
}

// errStopping refuses a key holder's connection while the actor stops:
// the handshake ends without a verdict, and the client, turned away, tries
// again (a restart may follow).
var errStopping = errors.New("the actor is stopping")

// authenticated runs once hc's proof verified, before its verdict: it
// moves hc out of the handshake budget and, if the actor serves fewer than
// MaxConnections, into the set of served connections. Otherwise it says
// why not: the actor is full (the client is told so in the verdict, as
// handshake.ErrFull) or stopping.
func (s *server) authenticated(hc *hsConn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hs[hc]; !ok { // stopped meanwhile (a connection whose proof was read is never evicted)
		return errStopping
	}
	delete(s.hs, hc)
	if s.draining.Load() {
		return errStopping
	}
	if len(s.conns) >= s.opts.maxConns {
		return fmt.Errorf("%w: MaxConnections (%d) reached", handshake.ErrFull, s.opts.maxConns)
	}
	s.conns[hc.Conn] = struct{}{}
	return nil
}

// dropHandshake forgets hc, if still counted, and closes it.
func (s *server) dropHandshake(hc *hsConn) {
	s.mu.Lock()
	delete(s.hs, hc)
	s.mu.Unlock()
	hc.Close()
}

// Wrong proofs are answered slowly: the rejections of one actor leave at
// most one per failInterval, in turn, so that guessing a key online gets at
// most a few hundred answers a second however many connections a guesser
// opens. A rejected connection waits in a penalty box of penaltyBox
// places, outside the handshake budget, so that waiting guessers do not
// keep key holders out. When the box is full, rejected connections wait in
// the handshake budget for a place: a guesser must hold penaltyBox +
// MaxHandshakes connections at once, and keep them coming, to crowd honest
// clients out.
const (
	failInterval = 5 * time.Millisecond
	penaltyBox   = 1024
)

// failGate spaces out the rejections of one actor.
type failGate struct {
	room chan struct{} // a place in the penalty box
	mu   sync.Mutex
	next time.Time // when the next rejection may leave
}

func newFailGate() *failGate { return &failGate{room: make(chan struct{}, penaltyBox)} }

// turn returns when a rejection decided at now may leave: at once, or
// failInterval after the one before it, whichever is later.
func (g *failGate) turn(now time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	at := now
	if g.next.After(now) {
		at = g.next
	}
	g.next = at.Add(failInterval)
	return at
}

// penalty holds a rejected connection until its turn: it returns when the
// rejection may be sent, or at once when the actor stops.
func (s *server) penalty(hc *hsConn) {
	g := s.fails
	select {
	case g.room <- struct{}{}:
	case <-s.stopping:
		return
	}
	defer func() { <-g.room }()
	s.leftHandshake(hc) // bounded by the box from now on
	s.mu.Lock()
	delete(s.hs, hc) // its proof is read: it no longer holds a handshake slot
	s.penalized[hc.Conn] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.penalized, hc.Conn)
		s.mu.Unlock()
	}()
	now := time.Now()
	t := time.NewTimer(g.turn(now).Sub(now))
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.stopping:
	}
}
