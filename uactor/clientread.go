package uactor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// Replies are read by whichever goroutine holds the connection's read role
// (leader/follower): a caller waiting for its reply takes the role if nobody
// holds it and reads until its own reply is in, delivering the others' on
// the way. It passes the role on only once no other whole frame is
// buffered, to a caller still waiting, so that a burst of replies costs one
// read. With no call in flight nobody reads until a watcher does: once the
// connection has gone watchAfter without a call (not on the owner's private
// connection, whose supervisor sees the actor's process end), or when
// keepalive pings.
//
// Against a reader goroutine that hands every reply over, this saves a
// goroutine hop (and, on an idle CPU, a wake-up) per call, and the system
// calls that come with it.

// testHookLeadReturned, if set, runs when a caller's lead has returned,
// before it takes the lock back: tests hold a caller there.
var testHookLeadReturned atomic.Pointer[func()]

// testHookNoIdleWatcher, if set, keeps a connection that goes idle from
// starting a watcher: tests that need a caller to hold the read role set it.
var testHookNoIdleWatcher atomic.Bool

// watcher holds the read role for nobody in particular (see watch).
var watcher = &call{}

// await waits for cl's answer, reading the connection itself while it holds
// the read role. It returns ctx's error if the caller gave up first: the
// call is then abandoned, and cl no longer referenced.
func (c *clientConn) await(ctx context.Context, id uint64, cl *call) error {
	c.mu.Lock()
	cl.waiting = true
	for !cl.answered {
		if c.reader == nil {
			c.reader = cl
		}
		if c.reader == cl {
			if cl.signaled { // the hand-off: already sent, so this does not block
				<-cl.done
				cl.signaled = false
			}
			c.intr.arm(ctx, c.nc)
			c.mu.Unlock()
			c.lead(ctx, cl) // returns with cl unanswered only once ctx is done
			if h := testHookLeadReturned.Load(); h != nil {
				(*h)()
			}
			c.mu.Lock()
		} else {
			switch c.follow(ctx, cl) {
			case followAnswered:
				return nil
			case followAgain:
				continue
			}
		}
		// While the lock was let go, cl may have been answered, or handed
		// the read role (back, if the reader was a watcher that cl's own
		// lead started).
		if cl.signaled {
			<-cl.done
			cl.signaled = false
		}
		if cl.answered {
			break
		}
		cl.waiting = false
		if c.reader == cl {
			c.passLocked(cl)
		}
		return c.abandonLocked(ctx, id, cl)
	}
	cl.waiting = false
	// Answered before the loop first looked: the answer's signal is still
	// on done, and the pooled call must not carry it to its next use.
	if cl.signaled {
		<-cl.done
		cl.signaled = false
	}
	c.mu.Unlock()
	return nil
}

// abandonLocked gives up on call id, whose caller's ctx is done: its slot
// stays taken until the actor answers, and the actor is told to cancel it.
// It is called with c.mu held and releases it.
func (c *clientConn) abandonLocked(ctx context.Context, id uint64, cl *call) error {
	if c.err == nil {
		c.pending.abandon(id, cl.win)
		c.startWatcherLocked() // to collect its answer (see passLocked)
	}
	c.mu.Unlock()
	// ctx is done, so a write that would wait is left to the Writer.
	c.w.WriteFrameContext(ctx, frame.Header{Type: frame.TypeCancel, ID: id})
	return ctx.Err()
}

// lead reads frames while me holds the read role: until me's reply is in
// and no other whole frame is buffered (for the watcher: until it has
// delivered some reply), until ctx is done, or until the connection fails.
// It passes the role on before returning; a frame partly read waits in c.r
// for the next reader.
func (c *clientConn) lead(ctx context.Context, me *call) {
	done := false
	for !done || c.r.FrameBuffered() {
		h, buf, err := c.r.ReadFrame()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && c.resume(ctx) {
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				break // our caller gave up; what was read so far waits in c.r
			}
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = io.EOF
			}
			if errors.Is(err, frame.ErrMalformed) || errors.Is(err, frame.ErrAuthFailed) || errors.Is(err, frame.ErrTooLarge) {
				err = fmt.Errorf("%w: %w", ErrProtocol, err) // the actor broke the wire format
			}
			c.close(errorf("%w: %s: %w", ErrActorDied, c.addr, err))
			return
		}
		c.ka.saw()
		switch h.Type {
		case frame.TypeReply, frame.TypeError:
			if c.deliver(h, buf, me) || me == watcher {
				done = true
			}
		case frame.TypePing, frame.TypePong:
			keepaliveFrame(c.w, h, buf)
		case frame.TypeGoAway: // the actor stopped for good, after the answers read before it
			c.goAway(h, buf)
			return
		default:
			buf.Release()
			c.close(errorf("%w: %w: %s sent an unexpected %v frame", ErrActorDied, ErrProtocol, c.addr, h.Type))
			return
		}
	}
	c.mu.Lock()
	c.passLocked(me)
	c.mu.Unlock()
}

// resume decides, after a read interrupted by a deadline, whether the reader
// goes on: not if its own caller gave up. The interruption may also have
// been meant for an earlier reader; then the deadline is cleared.
func (c *clientConn) resume(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	c.nc.SetReadDeadline(time.Time{})
	// An interruption armed just now for our own ctx must not be lost.
	return ctx.Err() == nil
}

// deliver hands a reply to its call, and reports whether that call is me.
func (c *clientConn) deliver(h frame.Header, buf *frame.Buffer, me *call) bool {
	c.mu.Lock()
	cl, win := c.pending.take(h.ID)
	if cl == nil || cl == abandoned { // the caller gave up: the late answer is dropped
		c.mu.Unlock()
		buf.Release()
		if cl == abandoned {
			c.release(win)
		}
		return false
	}
	cl.typ, cl.buf, cl.answered = h.Type, buf, true
	c.followers.remove(cl) // its caller takes no lock once woken
	signal := cl != me && !cl.signaled
	cl.signaled = cl.signaled || signal
	c.mu.Unlock()
	// Sent after the lock is let go: waking the caller may wake a thread,
	// which every other caller would otherwise wait for. Whoever sees
	// signaled set waits for the send, so cl is not reused before it.
	if signal {
		cl.done <- true
	}
	return cl == me
}

// passLocked passes the read role from me to a caller still waiting for its
// reply, if there is one; otherwise nobody reads until the next call.
func (c *clientConn) passLocked(me *call) {
	if c.reader != me {
		// close took it. me was the last to hold the role, so nobody
		// reads c.r again: a body that a read given up on its deadline
		// left partly read gives its charge to the budget for large
		// bodies back now, not once c.r is collected.
		c.r.Abandon()
		return
	}
	c.reader = nil
	if c.err != nil {
		return
	}
	if c.pending.len() > 0 { // after a lone call it is empty: skip the walk
		owed := false
		for s := range c.pending.all() {
			cl := s.cl
			switch {
			case cl == abandoned || cl != me && !cl.waiting:
				// Its answer is owed to a caller that gave up, or to one
				// still writing its request, which does not read until
				// its write is done: and an actor at its ConnBuffer bound
				// reads the rest of that request only once its answers
				// are taken.
				owed = true
			case cl != me && !cl.answered && !cl.signaled:
				c.reader = cl
				cl.signaled = true
				cl.done <- false
				return
			}
		}
		if owed {
			// Nobody waiting reads. Callers that gave up hold their slots
			// until their answers are read, and callers waiting for those
			// slots would wait for the idle watcher or keepalive (on the
			// owner's connection with keepalive off, for ever); a caller
			// still writing may be writing to an actor that waits for its
			// answers to be taken: read on for them.
			c.startWatcherLocked()
			return
		}
	}
	if !c.armed && c.idle != nil {
		c.armed = true
		checks.add(c.idle)
	}
}

// startWatcherLocked has a watcher read the connection unless somebody
// does or it has failed. It is called with c.mu held.
func (c *clientConn) startWatcherLocked() {
	if c.reader != nil || c.err != nil {
		return
	}
	c.reader = watcher
	go c.lead(context.Background(), watcher) // a watcher has no caller to give up
}

// watchAfter is how long a connection goes without a call before a watcher
// reads it, so that an actor that goes away meanwhile is noticed at once
// (and Done closes). Calls closer together than that never meet the
// watcher; the first after a pause is read by it, one goroutine hop.
const watchAfter = 5 * time.Millisecond

// idleCheck starts a watcher if the connection has gone watchAfter without
// a call and nobody reads it; while calls go on it stays on the clock, to
// look again a period later.
func (c *clientConn) idleCheck() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed {
		return // taken off the clock after this run began
	}
	if testHookNoIdleWatcher.Load() {
		return
	}
	if c.err == nil && c.reader == nil && time.Since(c.lastUse) < watchAfter {
		return
	}
	c.armed = false
	checks.remove(c.idle)
	c.startWatcherLocked() // unless somebody reads: whoever does puts it back when it stops
}

// watch makes sure something reads the connection while no call does, so
// that pongs are read and a connection that ends is noticed: a watcher
// holds the read role until it has delivered a reply.
func (c *clientConn) watch() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startWatcherLocked()
}

// probeAfter is how long after the last call began a call on a connection
// that nobody reads first checks that the actor has not hung up meanwhile.
const probeAfter = time.Millisecond

// usable reports whether the connection can carry a call. One that nobody
// reads, and on which no call has begun for a while, is probed first,
// without blocking: an actor that went away since is noticed now, so the
// caller can dial again instead of failing.
func (c *clientConn) usable() bool {
	if c.broken.Load() {
		return false
	}
	if c.calls.Load() > 0 {
		// In use: a call reads it, and finds a hang-up. This keeps
		// concurrent callers off the connection's lock here.
		return true
	}
	now := time.Now()
	c.mu.Lock()
	idle := c.reader == nil && now.Sub(c.lastUse) > probeAfter
	c.lastUse = now
	if idle {
		c.reader = prober
	}
	c.mu.Unlock()
	if !idle {
		return true
	}
	err := c.probe()
	c.mu.Lock()
	c.passLocked(prober)
	c.mu.Unlock()
	if err != nil {
		c.close(fmt.Errorf("%w: %s: %w", ErrActorDied, c.addr, err))
		return false
	}
	return true
}

// prober holds the read role while usable probes the connection.
var prober = &call{}

// probe reads without consuming or waiting, and returns an error if the
// connection has ended: io.EOF, or what the read failed with. Only the
// holder of the read role (prober) calls it.
func (c *clientConn) probe() error {
	p := &c.peek
	if p.fn == nil {
		if p.rc = rawConn(c.nc); p.rc == nil {
			return nil
		}
		p.fn = p.once
	}
	// A reader's context that ended after its call may have left a
	// deadline behind, which would fail the probe before it reads.
	c.nc.SetReadDeadline(time.Time{})
	if err := p.rc.Read(p.fn); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil // armed again meanwhile: cannot tell, so let the call find out
		}
		return err
	}
	switch {
	case p.n > 0, errors.Is(p.err, syscall.EAGAIN):
		return nil
	case p.err == nil:
		return io.EOF
	}
	return p.err
}

// peekState is probe's: the connection's RawConn, the peek bound once as a
// function value (so that a probe allocates nothing), and its result.
type peekState struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool
	n   int
	err error
	b   [1]byte
}

// once peeks at the socket, without waiting.
func (p *peekState) once(fd uintptr) bool {
	p.n, _, p.err = syscall.Recvfrom(int(fd), p.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return true
}

// interrupter arms a read deadline in the past for when the reading
// caller's context is done, so that a caller blocked reading for others can
// give up. It stays armed across calls made with the same context, which
// costs nothing per call; it is re-armed when the reader's context changes.
type interrupter struct {
	done <-chan struct{}
	stop func() bool
}

// arm makes ctx's end interrupt reads on nc. It is called with the read role.
func (in *interrupter) arm(ctx context.Context, nc net.Conn) {
	d := ctx.Done()
	if d == nil {
		return
	}
	if d == in.done {
		select {
		case <-d: // fired already, and a reader since may have cleared what it set
			nc.SetReadDeadline(longAgo)
		default:
		}
		return
	}
	in.disarm()
	in.done = d
	in.stop = context.AfterFunc(ctx, func() { nc.SetReadDeadline(longAgo) })
}

func (in *interrupter) disarm() {
	if in.stop != nil {
		in.stop()
	}
	in.done, in.stop = nil, nil
}
