package uactor

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// A connection's reader stops reading at the bounds on what a peer can make
// the actor hold (ConnBuffer, MaxInFlight), and waits here until calls end
// or their answers leave. A call or answer that frees room wakes it
// (signalLocked).

// waitBuffers waits until the connection's request bytes and queued reply
// bytes are both under ConnBuffer, or, at the request bound, until the next
// frame has no payload (see waitRequests). It returns false if the
// connection is done meanwhile.
func (c *serverConn) waitBuffers() bool {
	limit := c.s.opts.connBuffer
	if !c.waitRequests(limit) {
		return false
	}
	if c.w.Buffered() < limit {
		return true
	}
	c.w.Kick()       // answers held back count too: they go first
	c.ka.pause(true) // the peer's frames wait for it to take its answers
	defer c.ka.pause(false)
	if c.ka == nil {
		defer c.lookForHangUp()()
	}
	return c.w.WaitBelow(limit) == nil
}

// lookForHangUp looks every hangUpLook whether the peer hung up, and closes
// the connection if it did, until the returned stop is called: for a
// reader that waits in the Writer for answers to leave, with keepalive off.
// A peer that closed its socket fails the stuck write anyway; one that only
// stopped sending, and reads nothing, would hold the reader and its
// answers for ever with the write timeout off too.
func (c *serverConn) lookForHangUp() (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(hangUpLook)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if c.closeIfHungUp() {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// closeIfHungUp closes the connection if the peer hung up, and reports
// whether it did; its calls are cancelled as the reader ends.
func (c *serverConn) closeIfHungUp() bool {
	if !peerHungUp(c.nc) {
		return false
	}
	c.log.hungUp.Store(true)
	c.nc.Close()
	return true
}

// waitRequests waits until the request bytes of unfinished calls are under
// limit, or until the next frame is one with no payload (CANCEL, PING,
// PONG), which holds nothing and is read at the bound: a call that holds
// the bound may be waiting for its cancel. It returns false if the
// connection is done meanwhile.
func (c *serverConn) waitRequests(limit int) bool {
	for {
		c.mu.Lock()
		// After GOAWAY no call holds anything new (each is refused): the
		// reader drains, bound or not.
		over := c.held >= limit && !c.goneAway.Load()
		c.waiting = over
		c.mu.Unlock()
		if !over {
			return true
		}
		c.kick() // answers held back go out before the reader sleeps
		ok, next := c.waitOrEmpty()
		if !ok || next {
			return ok
		}
	}
}

// waitOrEmpty waits, at the request bound, for a call to end or release
// its request (next false), or for the next frame to turn out to have no
// payload, or the connection to fail (next true: the reader reads on and
// finds out). Waiting for the peer's next bytes is a read, which a release
// interrupts with a read deadline in the past (signalLocked). ok is false
// if the connection is done.
func (c *serverConn) waitOrEmpty() (ok, next bool) {
	c.mu.Lock()
	if !c.waiting { // released meanwhile
		c.mu.Unlock()
		return true, false
	}
	c.peeking = true
	c.mu.Unlock()
	empty, err := c.r.NextEmpty()
	c.mu.Lock()
	interrupted := !c.peeking
	c.peeking = false
	c.mu.Unlock()
	if interrupted && !c.goneAway.Load() { // before or after the read returned: reads must not fail on it
		c.nc.SetReadDeadline(time.Time{})
		if c.goneAway.Load() { // the drain's deadline (sayGoAway) came just before the clear: set it again
			c.nc.SetReadDeadline(longAgo)
		}
	}
	switch {
	case err == nil && !empty:
		// A frame with a payload (a call) is next: it waits for room, and
		// the peer's frames behind it for the calls it made, not for the
		// peer. Until then the reader reads, and hears the peer's answer
		// to a PING: keepalive finds a peer that vanished (behind a
		// partition, say) while its calls hold the bound.
		c.ka.pause(true)
		defer c.ka.pause(false)
		return c.wait(), false
	case err == nil, !errors.Is(err, os.ErrDeadlineExceeded):
		return true, true
	case c.goneAway.Load(): // the drain's deadline (sayGoAway): the reader finds out
		return true, true
	}
	select { // the release's signal: it is acted on now
	case <-c.freed:
	default:
	}
	return true, false
}

// wait waits for a call to end or release its request, reporting false if
// the connection is done meanwhile. The reader reads nothing meanwhile, so
// a peer that hung up is found only by looking: keepalive looks at its
// bound; with keepalive off, wait looks every hangUpLook.
func (c *serverConn) wait() bool {
	var look <-chan time.Time
	if c.ka == nil {
		t := time.NewTicker(hangUpLook)
		defer t.Stop()
		look = t.C
	}
	for {
		select {
		case <-c.freed:
			return true
		case <-c.dead:
			return false
		case <-c.s.cut:
			return c.goneAway.Load() // after GOAWAY the reader drains (waitRequests, waitSlot)
		case <-look:
			if c.closeIfHungUp() {
				return false
			}
		}
	}
}

// hangUpLook is how often a reader that waits for room, with keepalive
// off, looks whether the peer hung up (wait, lookForHangUp).
const hangUpLook = time.Second

// signalLocked wakes the reader if it waits; it is called with c.mu held,
// just after a change the reader may wait for. The reader says it waits
// under c.mu too, when it found the bound reached, so no wake-up is lost,
// and none is sent (a channel operation per call) when it does not wait.
func (c *serverConn) signalLocked() {
	if !c.waiting {
		return
	}
	c.waiting = false
	if c.peeking {
		c.peeking = false
		c.nc.SetReadDeadline(longAgo) // the reader waits for the peer's bytes: let it look again
	}
	select {
	case c.freed <- struct{}{}:
	default:
	}
}

// errConnDone ends a connection whose reader, waiting, found it done: it
// is no fault of the peer's (logged as closed, see logConnEnd).
var errConnDone = fmt.Errorf("%w: the connection ended while a call waited for its slot", ErrClosed)

// waitSlot checks a new call's id against the calls in flight (a peer that
// reuses one would hold two calls under one entry, and ending either would
// cancel the other, so it is dropped), and waits while the id's call has
// its answer on its way out, or while the connection is at MaxInFlight with
// answers on their way out: either frees as soon as the bytes leave, and a
// caller that already has the answer may have sent this call. It fails
// for a duplicate id (ErrProtocol) or a connection that is done
// (errConnDone: keepalive or a hang-up dropped the peer, and says so, or
// the actor stopped). Keepalive is not paused here, as it is at
// ConnBuffer: what this waits for is the peer taking its answers, which
// keepalive counts as the peer being alive (peerTook), so a peer that takes
// its answers is not dropped; one that takes none is, after two periods,
// even if it sends meanwhile, since its bytes wait unread.
func (c *serverConn) waitSlot(id uint64) error {
	for {
		c.mu.Lock()
		prev := c.cancels[id]
		dup := prev != nil && !prev.leaving
		// After GOAWAY the call is refused (the actor is draining), and
		// holds no slot: the reader drains.
		blocked := (prev != nil || len(c.cancels) >= c.s.opts.inflight && c.leaving > 0) && !c.goneAway.Load()
		c.waiting = blocked && !dup
		c.mu.Unlock()
		switch {
		case dup:
			return fmt.Errorf("%w: a CALL reused the id %d of a call in flight", ErrProtocol, id)
		case !blocked:
			return nil
		}
		c.ka.holdPeer(true) // what the peer sends meanwhile waits by its own doing
		c.w.Kick()          // answers held back go out before the reader sleeps
		ok := c.wait()
		c.ka.holdPeer(false)
		if !ok {
			return errConnDone
		}
	}
}
