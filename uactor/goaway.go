package uactor

import (
	"errors"
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
// GOAWAY and end of stream. Until the actor closes the connection, what
// the peer still sends (calls made as the actor stopped) is read and
// dropped, and nothing more is written: a socket closed with bytes unread
// sends a reset, which may reach the peer before GOAWAY does and have it
// redial. The calls whose handlers still run are cancelled. A peer that
// misses GOAWAY only redials as it would have.
func (s *server) sayGoAway(cs []*serverConn, end time.Time) {
	for _, c := range cs {
		c.w.WriteFrameContext(frame.NoWait, frame.Header{Type: frame.TypeGoAway})
	}
	waitSent(cs, end)
	for _, c := range cs {
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && c.w.Buffered() == 0 {
			c.goneAway.Store(true) // a write that fails now leaves the connection open (see serveSession)
			cw.CloseWrite()
			c.nc.SetReadDeadline(end) // a peer that goes on sending does not hold the stop
		}
		c.cancelAll()
	}
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
