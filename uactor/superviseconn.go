package uactor

import (
	"context"
	"errors"
	"time"
)

// An owner's calls go over a private connection to the actor's current
// process; while that is broken (the process died, and a restart may be
// due) they dial the actor's address instead.

// dialPeer returns the peer that the owner's calls dial the actor's
// address through while the private connection is broken: the handle's
// own (fallback), or the one that replaced it (renewPeer).
func (s *supervisor) dialPeer(fallback *peer) *peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spare != nil {
		return s.spare
	}
	return fallback
}

// renewPeer replaces gone, if dialPeer still returns it, with a fresh peer,
// and returns the peer to dial through: a peer that keepalive found silent
// gives its actor up for good, but the owner's actor is gone only once its
// process has been reaped, which the supervisor sees.
func (s *supervisor) renewPeer(fallback, gone *peer) *peer {
	s.mu.Lock()
	cur := s.spare
	if cur == nil {
		cur = fallback
	}
	if cur != gone || s.stopping || s.state.Load().final != nil {
		s.mu.Unlock()
		return cur
	}
	s.spare = acquirePeer(gone.addr, gone.key, gone.poolKey.id, gone.opts)
	fresh := s.spare
	s.mu.Unlock()
	if gone != fallback {
		gone.release()
	}
	return fresh
}

// ownerDialWait is how long a call waits, after the owner's private
// connection broke, for the process to be reaped before it dials the
// actor's address instead (a stopped or stuck process is not reaped).
const ownerDialWait = time.Second

// conn returns the connection for the owner's next call: the current
// process's private one, waiting while the actor restarts. Once the actor
// is gone for good it returns why, which matches ErrActorDied (or ErrClosed
// after Close): never a raw dial error.
func (s *supervisor) conn(ctx context.Context, fallback *peer) (*clientConn, error) {
	for {
		st := s.state.Load()
		switch {
		case st.final != nil:
			return nil, st.final
		case st.inc == nil: // restarting
			select {
			case <-st.changed:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		case st.inc.c.usable():
			// usable probes a connection idle for a while: a process that
			// died since the last call, before its reaping says so, is
			// found here, and the call waits for what follows (a restart,
			// or the *ExitError of an actor gone) instead of failing unsent.
			return st.inc.c, nil
		}
		// The private connection broke but the process was not reaped (it
		// was stopped or stuck, and keepalive cut it): a call that waited
		// before dialled the actor's address, and while that connection
		// lives, later calls take it without waiting again.
		p := s.dialPeer(fallback)
		if c := p.cur.Load(); c != nil && c.usable() {
			return c, nil
		}
		t := time.NewTimer(ownerDialWait)
		select {
		case <-st.changed:
			t.Stop()
			continue
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		c, err := p.conn(ctx)
		if err != nil && p.isGone() && s.state.Load() == st {
			// Keepalive cut that connection too, and the peer gave the
			// actor up; but its process was not reaped, so it is not gone
			// (it was stopped again, say): dial it afresh.
			c, err = s.renewPeer(fallback, p).conn(ctx)
		}
		switch {
		case err == nil:
			return c, nil
		case ctx.Err() != nil, errors.Is(err, ErrActorDied):
			return nil, err
		}
		return nil, &goneError{addr: s.addr.String(), cause: err}
	}
}

// drainWait bounds how long the owner's connection to a process that
// stopped gracefully is left to its callers before what they still wait
// for fails.
const drainWait = 500 * time.Millisecond

// drained waits, up to d, until c carries no call or has ended on its own.
// The process is gone, so its socket ends right after the answers it
// wrote: a caller reading them meets that end at once, and they are not
// failed under it by the close that follows the process's end.
func drained(c *clientConn, d time.Duration) {
	if h := testHookDrain.Load(); h != nil {
		(*h)()
	}
	for end := time.Now().Add(d); c.calls.Load() > 0 && !c.broken.Load() && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
}
