package uactor

import (
	"errors"
	"net"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// An actor that stops for good (its owner's Close or stop record, a hosted
// value's Close; never a crash, which a restart may follow) says so with
// GOAWAY on each connection, after the last answer it writes there: TCP has
// no other sign of it (a Unix actor's removed socket directory is one), and
// a refused port looks the same as an actor restarting, which its refs
// would redial for DialTimeout. A client that reads GOAWAY gives the actor
// up at once.

// goAwayDrain bounds how long a stopping actor waits, after its grace
// period, for GOAWAY to leave and for its peers to hang up on reading it.
const goAwayDrain = 250 * time.Millisecond

// sayGoAway writes GOAWAY on each of cs, behind the answers there, without
// waiting on a peer that does not read, and then, once it has left (by
// end at most), shuts the connection's sending side: the peer reads
// GOAWAY and end of stream. The calls whose handlers still run are
// cancelled. A peer that misses GOAWAY only redials as it would have.
//
// A socket closed with bytes unread sends a reset, which may reach the
// peer before GOAWAY does (Linux drops what it had still to send) and have
// it redial. So the connection is left to its reader (drainOn), which
// closes it as soon as it finds the peer quiet, and until then, or until
// end, reads and drops what the peer still sends (calls made as the actor
// stopped), writing nothing more. A peer that is not quiet has a call in
// flight or is sending one, and so reads GOAWAY and hangs up; one that is
// quiet may read nothing for as long as it makes no call (the owner's
// connection, a client of another make), and is not waited for.
func (s *server) sayGoAway(cs []*serverConn, end time.Time) {
	for _, c := range cs {
		c.w.WriteFrameContext(frame.NoWait, frame.Header{Type: frame.TypeGoAway})
	}
	waitSent(cs, end)
	for _, c := range cs {
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && c.w.Buffered() == 0 {
			c.drainEnd = end
			c.goneAway.Store(true) // a write that fails now leaves the connection open (see serveSession)
			cw.CloseWrite()
			c.nc.SetReadDeadline(longAgo) // the reader looks now whether the peer is quiet
		}
		c.cancelAll()
	}
}

// goAwayQuiet is how long a TCP peer must have sent nothing, after GOAWAY,
// for drainOn to count it idle: a caller between two calls sends the next
// far sooner, and closing then would have the bytes of that call meet a
// closed socket, whose reset can fail the caller's write before it has
// read GOAWAY. On a Unix socket GOAWAY is in the peer's socket once
// written, and a reset does not overtake it.
const goAwayQuiet = 5 * time.Millisecond

// drainOn is the reader's part once GOAWAY has left (goneAway), called
// when a read fails on a deadline that sayGoAway or drainOn set. It
// reports whether the reader reads on, dropping what the peer sends,
// until the peer hangs up or the next look; or whether the connection is
// done (and closed as the reader ends): once end has passed, or once the
// peer is idle, so that closing it sends no reset. Idle is: no call of the
// peer's in flight, no part of a frame read and nothing unread, and, on
// TCP, nothing arrived for goAwayQuiet.
func (c *serverConn) drainOn() bool {
	now := time.Now()
	if !now.Before(c.drainEnd) {
		return false
	}
	c.mu.Lock()
	calls := len(c.cancels)
	c.mu.Unlock()
	got, _ := c.in.arrived()
	idle := calls == 0 && c.r.Idle() && !unread(c.nc)
	if _, tcp := c.nc.(*net.TCPConn); idle && (!tcp || c.drainLooked && got == c.drainSeen) {
		return false
	}
	c.drainLooked, c.drainSeen = true, got
	next := now.Add(goAwayQuiet)
	if next.After(c.drainEnd) {
		next = c.drainEnd
	}
	c.nc.SetReadDeadline(next)
	return true
}

// unread reports whether bytes wait unread in nc's socket, looking without
// reading or waiting; it reports true if it cannot tell.
func unread(nc net.Conn) bool {
	var p peekState // a client's probe's peek, run once here
	if p.rc = rawConn(nc); p.rc == nil {
		return true
	}
	if p.rc.Control(func(fd uintptr) { p.once(fd) }) != nil {
		return false // closed already
	}
	// EAGAIN: nothing; none read and no error: the peer hung up after its
	// last byte; another error: the connection broke.
	return p.err == nil && p.n > 0
}

// waitHungUp waits until no connection is left, or until end: a peer that
// read GOAWAY hangs up, and its reader, finding the end of the
// connection, untracks it.
func (s *server) waitHungUp(end time.Time) {
	s.mu.Lock()
	if len(s.conns) == 0 {
		s.mu.Unlock()
		return
	}
	s.hungUp = make(chan struct{})
	hungUp := s.hungUp
	s.mu.Unlock()
	t := time.NewTimer(time.Until(end))
	defer t.Stop()
	select {
	case <-hungUp:
	case <-t.C:
	}
}

// goAwayError is why a connection whose actor sent GOAWAY ended: the actor
// is gone for good, and its peer gives it up rather than redial.
type goAwayError struct{ error }

func (e goAwayError) Unwrap() error { return e.error }

// goAway closes c on the actor's GOAWAY, which carries no id and no payload.
func (c *clientConn) goAway(h frame.Header, buf *frame.Buffer) {
	n := len(buf.B)
	buf.Release()
	if h.ID != 0 || n != 0 {
		c.close(errorf("%w: %w: %s sent a GOAWAY frame with an id or a payload", ErrActorDied, ErrProtocol, c.addr))
		return
	}
	c.close(goAwayError{errorf("%w: %s has stopped for good", ErrActorDied, c.addr)})
}

// endsActor reports whether a connection that ended with err tells its peer
// that the actor is gone, not merely that the connection broke: keepalive
// found the actor silent, or it said GOAWAY.
func endsActor(err error) bool {
	return errors.As(err, new(silentError)) || errors.As(err, new(goAwayError))
}
