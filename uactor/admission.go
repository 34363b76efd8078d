package uactor

import (
	"cmp"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/internal/hmac"
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
	admitted     int64        // unix nanoseconds
	waitingSince atomic.Int64 // unix nanoseconds; 0 while not reading
	got          atomic.Int64 // bytes received
}

func (c *hsConn) Read(b []byte) (int, error) {
	c.waitingSince.Store(time.Now().UnixNano())
	n, err := c.Conn.Read(b)
	c.got.Add(int64(n))
	c.waitingSince.Store(0)
	return n, err
}

// candidate is a connection that may be evicted, ranked: first those whose
// peer has not sent its whole hello (an honest client sends it at once), the
// oldest first; then those waited on for their proof, the longest waiting
// first.
type candidate struct {
	c      *hsConn
	stage  int   // 2: no whole hello yet; 1: waiting for the proof
	waited int64 // nanoseconds
}

func (s *server) candidates(now int64) []candidate {
	var cs []candidate
	for c := range s.hs {
		switch got := c.got.Load(); {
		case got < hmac.ClientHelloSize:
			cs = append(cs, candidate{c, 2, now - c.admitted})
		case c.waitingSince.Load() != 0:
			cs = append(cs, candidate{c, 1, now - c.waitingSince.Load()})
		}
	}
	slices.SortFunc(cs, func(a, b candidate) int {
		if a.stage != b.stage {
			return b.stage - a.stage
		}
		return cmp.Compare(b.waited, a.waited)
	})
	return cs
}

// admit takes a freshly accepted connection into the handshake budget,
// evicting the best candidate if the budget is full. It returns nil, having
// closed nc, if the actor is stopping or no connection can make room.
func (s *server) admit(nc net.Conn) *hsConn {
	now := time.Now().UnixNano()
	hc := &hsConn{Conn: nc, admitted: now}
	var victim *hsConn
	s.mu.Lock()
	if !s.draining.Load() && len(s.hs) >= s.opts.maxHS {
		for _, cd := range s.candidates(now) {
			// A hello that arrived but was not read yet (the reader has
			// not run) is as good as read.
			if cd.stage == 2 && pending(cd.c.Conn) >= hmac.ClientHelloSize-int(cd.c.got.Load()) {
				continue
			}
			victim = cd.c
			delete(s.hs, victim)
			break
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

// authenticated moves hc out of the handshake budget and, if the actor
// serves fewer than MaxConnections, into the set of served connections.
func (s *server) authenticated(hc *hsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.hs[hc]; !ok { // evicted or stopped meanwhile
		return false
	}
	delete(s.hs, hc)
	if s.draining.Load() || len(s.conns) >= s.opts.maxConns {
		return false
	}
	s.conns[hc.Conn] = struct{}{}
	return true
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
	s.mu.Lock()
	delete(s.hs, hc) // its proof is read: it no longer holds a handshake slot
	s.penalized[hc.Conn] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.penalized, hc.Conn)
		s.mu.Unlock()
	}()
	g.mu.Lock()
	now := time.Now()
	at := now
	if g.next.After(now) {
		at = g.next
	}
	g.next = at.Add(failInterval)
	g.mu.Unlock()
	t := time.NewTimer(at.Sub(now))
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.stopping:
	}
}
