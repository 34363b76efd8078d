package uactor

import (
	"errors"
	"fmt"
	"os"

	"github.com/uactor-go/uactor/internal/frame"
)

// An actor's connection is read by one goroutine at a time, which holds its
// read role, and runs each call itself as it reads it (unless its method is
// known to block: then a worker runs it): its reply goes out with no
// goroutine hop. While a whole frame is buffered behind a call,
// the call's answer is held back, so that a burst of calls is answered with
// one write; whatever is held back goes out before the reader waits for
// more. Calls must still run concurrently (a call that waits for another
// must not stop it from being read), so a call that runs for longer than a
// watchdog tick has the read role taken from it and offered to a worker
// (inline.go); when the call is done, its goroutine reads on if the role is
// still its own.

// serve reads frames and runs calls while this goroutine holds the read
// role. It returns false once the connection has ended (and is cleaned
// up), and true once another goroutine has taken the read role.
func (c *serverConn) serve() bool {
	held := false // answers queued and not yet written
	for {
		if held && !c.r.FrameBuffered() {
			c.kick()
			held = false
		}
		if !c.waitBuffers() {
			c.end(nil)
			return false
		}
		if c.r.Idle() {
			c.lone, c.burst = c.burst == 1, 0
		}
		h, buf, err := c.r.ReadFrame()
		if err != nil {
			if c.goneAway.Load() && errors.Is(err, os.ErrDeadlineExceeded) && c.drainOn() {
				continue // draining after GOAWAY (goaway.go)
			}
			c.end(err) // EOF, a broken frame or a failed seal: the connection is done
			return false
		}
		c.ka.saw()
		switch h.Type {
		case frame.TypeCall:
			c.burst++
			j, err := c.dispatch(h.ID, buf)
			switch {
			case err != nil:
				c.end(err)
				return false
			case j.m == nil: // answered already
			case j.m.blocks.Load():
				c.s.start(job{c: c, call: j})
			default:
				hold := c.r.FrameBuffered()
				if !c.runInline(j, hold) {
					return true // a worker reads now
				}
				held = held || hold
			}
		case frame.TypeCancel:
			buf.Release()
			c.mu.Lock()
			ctx := c.cancels[h.ID]
			c.mu.Unlock()
			if ctx != nil {
				ctx.cancelled()
			}
		case frame.TypePing, frame.TypePong:
			keepaliveFrame(c.w, h, buf)
		default:
			buf.Release()
			c.end(fmt.Errorf("%w: a client sent a frame of type %v", ErrProtocol, h.Type))
			return false // not something a client sends: drop the peer
		}
	}
}
