package uactor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// A call runs inline on the goroutine that read it (serverread.go). Should
// it block, a watchdog hands the connection's read role to a worker, so
// that the calls behind it are read and run, and writes the answers held
// back behind it. It also marks the call's method as one that blocks:
// later calls of it go to a worker at once, so that calls that block (on
// I/O, say) still start as fast as they arrive, until one of them returns
// within a tick. Offering the role to a worker on every call instead would
// wake a thread per call on an idle CPU, a futex and a poller wake-up
// (about two system calls per call). The watchdog is a job on the clock
// (clock.go): it looks every inlineTick while calls run inline, and costs
// nothing while the actor is idle. Arming a runtime timer per call instead
// would cost that wake-up too: the runtime wakes an idle thread to watch a
// timer that becomes the earliest.

// inlineTick is how often the watchdog looks; a call found inline on two
// looks in a row has run for at least this long.
const inlineTick = time.Millisecond

// inlineIdleTicks is how many looks without an inline call the watchdog
// makes before it leaves the clock.
const inlineIdleTicks = 200

// The states of serverConn.role while a call runs inline. The role word
// holds one in its low bits (roleState) and, above them, the number of the
// inline call that last set it: a goroutine whose inline call ends takes
// the role back only if that call is still the one the word names. Without
// the number, a goroutine that lost the role to a worker, and was slow to
// look after its call ended, could take it back from under a later inline
// call of that worker, whose held-back answers would then wait.
const (
	roleReading uint64 = iota // the reader holds the role (no call inline, or it was taken back)
	roleInline                // a call runs inline, and its goroutine keeps the role
	roleOffered               // the watchdog offered the role to a worker

	roleBits  = 2
	roleState = 1<<roleBits - 1
)

// testHookInlineRan, if set, runs with the method of a call run inline once
// the call has ended, before its goroutine looks whether it still holds the
// read role: tests hold it there.
var testHookInlineRan atomic.Pointer[func(method string)]

// runInline runs cl on the reading goroutine, its answer held back if hold
// (more calls are buffered behind it), and reports whether that goroutine
// still holds the read role afterwards. If it does not, it writes what it
// held back: the new reader does not know about it.
func (c *serverConn) runInline(cl incoming, hold bool) bool {
	c.inlineM.Store(cl.m)
	mine := c.inlineSeq.Add(1) << roleBits
	c.role.Store(mine | roleInline)
	c.s.inline.kick()
	exited := true // until run returns: its handler may end the goroutine instead
	defer func() {
		if exited && c.holdsRead(mine) {
			go c.readOn() // the connection is still to be read
		}
	}()
	c.run(cl, hold)
	exited = false
	if h := testHookInlineRan.Load(); h != nil {
		(*h)(cl.m.name)
	}
	if c.holdsRead(mine) {
		return true
	}
	c.w.Kick()
	return false
}

// holdsRead takes the read role back for the goroutine that ran inline
// call mine, and reports whether it could: no worker took it over.
func (c *serverConn) holdsRead(mine uint64) bool {
	return c.role.CompareAndSwap(mine|roleInline, mine|roleReading) ||
		c.role.CompareAndSwap(mine|roleOffered, mine|roleReading) // offered, but no worker took it yet
}

// readOn reads the connection until it ends, or turns worker once another
// goroutine takes the read role: the connection's first reader, and one
// started for a handler that ended its goroutine while it held the role.
func (c *serverConn) readOn() {
	if c.serve() {
		c.s.worker(job{})
	}
}

// takeRead is a worker's side of an offer: it reports whether the read role
// was still on offer, and is now the worker's.
func (c *serverConn) takeRead() bool { return c.moveRole(roleOffered, roleReading) }

// moveRole moves the read role from state from to state to, keeping the
// number of the inline call that set it, and reports whether it was in from.
func (c *serverConn) moveRole(from, to uint64) bool {
	v := c.role.Load()
	return v&roleState == from && c.role.CompareAndSwap(v, v&^roleState|to)
}

// inlineWatch is a server's watchdog over its connections' inline calls.
type inlineWatch struct {
	watching atomic.Bool // job is on the clock

	mu    sync.Mutex
	job   clockJob // runs look every inlineTick
	quiet int      // looks in a row that found no call run inline
	conns map[*serverConn]struct{}
	told  bool // served has run: the stop tells these connections GOAWAY, and add adds no more
}

// add watches c, and reports whether it does: not once the stop has taken
// the connections it tells GOAWAY (served).
func (w *inlineWatch) add(c *serverConn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.told {
		return false
	}
	if w.conns == nil {
		w.conns = map[*serverConn]struct{}{}
		w.job = clockJob{period: inlineTick, run: w.look}
	}
	w.conns[c] = struct{}{}
	return true
}

func (w *inlineWatch) remove(c *serverConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.conns, c)
}

// served returns the connections watched, every connection the server
// serves, to the stop, which tells them GOAWAY: from then on add refuses
// one, whose server tells it itself.
func (w *inlineWatch) served() []*serverConn {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.told = true
	cs := make([]*serverConn, 0, len(w.conns))
	for c := range w.conns {
		cs = append(cs, c)
	}
	return cs
}

// kick puts the watchdog on the clock if it is not there.
func (w *inlineWatch) kick() {
	if !w.watching.Load() && w.watching.CompareAndSwap(false, true) {
		checks.add(&w.job)
	}
}

// look offers the read role of every connection whose inline call has run
// since the last look, and takes the watchdog off the clock once no call has
// run inline for a while.
func (w *inlineWatch) look() {
	w.mu.Lock()
	defer w.mu.Unlock()
	active := false
	for c := range w.conns {
		seq := c.inlineSeq.Load()
		if seq != c.seenSeq {
			c.seenSeq = seq
			active = true
			continue
		}
		if c.moveRole(roleInline, roleOffered) {
			if m := c.inlineM.Load(); m != nil {
				m.blocks.Store(true)
			}
			// Answers held back behind the call that blocks go out, as far
			// as the socket takes them now: this runs for every connection,
			// and must not wait on a peer that does not read.
			c.w.KickContext(frame.NoWait)
			c.s.start(job{c: c, read: true})
		}
	}
	if active {
		w.quiet = 0
		return
	}
	if w.quiet++; w.quiet < inlineIdleTicks {
		return
	}
	w.quiet = 0
	checks.remove(&w.job)
	w.watching.Store(false)
	// A call that began inline after this look must not go unwatched.
	if w.busyLocked() && w.watching.CompareAndSwap(false, true) {
		checks.add(&w.job)
	}
}

// busyLocked reports whether some connection has a call inline.
func (w *inlineWatch) busyLocked() bool {
	for c := range w.conns {
		if c.role.Load()&roleState == roleInline {
			return true
		}
	}
	return false
}
