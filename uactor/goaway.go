package uactor

import (
	"errors"

	"github.com/uactor-go/uactor/internal/frame"
)

// An actor that stops for good (its owner's Close or stop record, a hosted
// value's Close; never a crash, which a restart may follow) says so with
// GOAWAY on each connection, after the last answer it writes there: TCP has
// no other sign of it (a Unix actor's removed socket directory is one), and
// a refused port looks the same as an actor restarting, which its refs
// would redial for DialTimeout. A client that reads GOAWAY gives the actor
// up at once.

// sayGoAway queues GOAWAY on each connection's Writer, behind the answers
// there, without waiting on a peer that does not read: the connections are
// closed next, and a peer that misses it only redials as it would have.
func sayGoAway(ws []*frame.Writer) {
	for _, w := range ws {
		w.WriteFrameContext(frame.NoWait, frame.Header{Type: frame.TypeGoAway})
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
