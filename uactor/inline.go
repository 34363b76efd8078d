package uactor

import (
	"sync"
	"sync/atomic"
	"time"
)

// A call runs inline on the goroutine that read it (serverread.go). Should
// it block, a watchdog hands the connection's read role to a worker, so
// that the calls behind it are read and run, and writes the answers held
// back behind it. It also marks the call's method as one that blocks:
// later calls of it go to a worker at once, so that calls that block (on
// I/O, say) still start as fast as they arrive, until one of them returns
// within a tick. Offering the role to a worker
// on every call instead would wake a thread per call on an idle CPU, a
// futex and a poller wake-up (about two system calls per call); the
// watchdog costs one timer tick per inlineTick while calls run inline, and
// nothing while the actor is idle.

// inlineTick is how often the watchdog looks; a call found inline on two
// looks in a row has run for at least this long.
const inlineTick = time.Millisecond

// inlineIdleTicks is how many ticks without an inline call the watchdog
// waits before it stops.
const inlineIdleTicks = 200

// The states of serverConn.role while a call runs inline.
const (
	roleReading int32 = iota // the reader holds the role (no call inline, or it was taken back)
	roleInline               // a call runs inline, and its goroutine keeps the role
	roleOffered              // the watchdog offered the role to a worker
)

// runInline runs cl on the reading goroutine, its answer held back if hold
// (more calls are buffered behind it), and reports whether that goroutine
// still holds the read role afterwards. If it does not, it writes what it
// held back: the new reader does not know about it.
func (c *serverConn) runInline(cl incoming, hold bool) bool {
	c.inlineM.Store(cl.m)
	c.role.Store(roleInline)
	c.inlineSeq.Add(1)
	c.s.inline.kick()
	c.run(cl, hold)
	if c.role.CompareAndSwap(roleInline, roleReading) ||
		c.role.CompareAndSwap(roleOffered, roleReading) { // offered, but no worker took it yet
		return true
	}
	c.w.Kick()
	return false
}

// takeRead is a worker's side of an offer: it reports whether the read role
// was still on offer, and is now the worker's.
func (c *serverConn) takeRead() bool { return c.role.CompareAndSwap(roleOffered, roleReading) }

// inlineWatch is a server's watchdog over its connections' inline calls.
type inlineWatch struct {
	running atomic.Bool

	mu    sync.Mutex
	conns map[*serverConn]struct{}
}

func (w *inlineWatch) add(c *serverConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conns == nil {
		w.conns = map[*serverConn]struct{}{}
	}
	w.conns[c] = struct{}{}
}

func (w *inlineWatch) remove(c *serverConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.conns, c)
}

// kick starts the watchdog if it is not running.
func (w *inlineWatch) kick() {
	if !w.running.Load() && w.running.CompareAndSwap(false, true) {
		go w.watch()
	}
}

// watch looks at every connection each tick, offers the read role of one
// whose inline call has run since the last tick, and stops once no call
// has run inline for a while.
func (w *inlineWatch) watch() {
	t := time.NewTicker(inlineTick)
	defer t.Stop()
	for quiet := 0; ; {
		<-t.C
		w.mu.Lock()
		active := false
		for c := range w.conns {
			seq := c.inlineSeq.Load()
			if seq != c.seenSeq {
				c.seenSeq = seq
				active = true
				continue
			}
			if c.role.CompareAndSwap(roleInline, roleOffered) {
				if m := c.inlineM.Load(); m != nil {
					m.blocks.Store(true)
				}
				c.w.Kick() // answers held back behind the call that blocks
				c.s.start(job{c: c, read: true})
			}
		}
		w.mu.Unlock()
		if active {
			quiet = 0
			continue
		}
		if quiet++; quiet < inlineIdleTicks {
			continue
		}
		w.running.Store(false)
		// An inline call that began after the last look must not go
		// unwatched: look again if one did and nobody restarted us.
		if !w.busy() || !w.running.CompareAndSwap(false, true) {
			return
		}
		quiet = 0
	}
}

// busy reports whether some connection has a call inline.
func (w *inlineWatch) busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for c := range w.conns {
		if c.role.Load() == roleInline {
			return true
		}
	}
	return false
}
