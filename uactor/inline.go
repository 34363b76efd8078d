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
// within a tick. Offering the role to a worker on every call instead would
// wake a thread per call on an idle CPU, a futex and a poller wake-up
// (about two system calls per call).
//
// The watchdog's timer runs only while some connection's reader is busy
// with inline calls, and stops whenever the last of them goes back to
// waiting for input. An actor waiting between calls must have no timer due
// soon: while one is, the Go scheduler waits for input with a timeout,
// which programs a kernel timer on every wait, a cost that shows in every
// small call on a virtual machine (BENCHMARKS.md).

// inlineTick is how often the watchdog looks while calls run inline; a call
// found inline on two looks in a row has run for at least this long.
const inlineTick = time.Millisecond

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
	if !c.watched { // before the role is inline: whoever takes it over sees it
		c.watched = true
		c.s.inline.busy()
	}
	c.inlineM.Store(cl.m)
	c.role.Store(roleInline)
	c.inlineSeq.Add(1)
	c.run(cl, hold)
	if c.role.CompareAndSwap(roleInline, roleReading) ||
		c.role.CompareAndSwap(roleOffered, roleReading) { // offered, but no worker took it yet
		return true
	}
	c.w.Kick()
	return false
}

// unwatch tells the watchdog that this connection's reader is about to wait
// for input, or to stop reading, with no call of its own inline. Only the
// goroutine with the read role calls it.
func (c *serverConn) unwatch() {
	if c.watched {
		c.watched = false
		c.s.inline.idle()
	}
}

// takeRead is a worker's side of an offer: it reports whether the read role
// was still on offer, and is now the worker's.
func (c *serverConn) takeRead() bool { return c.role.CompareAndSwap(roleOffered, roleReading) }

// inlineWatch is a server's watchdog over its connections' inline calls.
type inlineWatch struct {
	readers atomic.Int32 // readers busy with inline calls (serverConn.watched)
	timer   *time.Timer  // armed while readers > 0

	mu    sync.Mutex
	conns map[*serverConn]struct{}
}

func (w *inlineWatch) add(c *serverConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conns == nil {
		w.conns = map[*serverConn]struct{}{}
		w.timer = time.AfterFunc(inlineTick, w.look)
		w.timer.Stop()
	}
	w.conns[c] = struct{}{}
}

func (w *inlineWatch) remove(c *serverConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.conns, c)
}

// busy counts a reader that has started a call inline, and arms the timer
// if it is the first.
func (w *inlineWatch) busy() {
	if w.readers.Add(1) == 1 {
		w.timer.Reset(inlineTick)
	}
}

// idle counts a reader back to waiting, and stops the timer if it was the
// last. A reader that turns busy meanwhile may have armed the timer before
// the Stop: then it is armed again.
func (w *inlineWatch) idle() {
	if w.readers.Add(-1) == 0 {
		w.timer.Stop()
		if w.readers.Load() > 0 {
			w.timer.Reset(inlineTick)
		}
	}
}

// look is the timer's tick: it offers the read role of every connection
// whose inline call has run since the last look, and ticks again while
// readers are busy.
func (w *inlineWatch) look() {
	w.mu.Lock()
	for c := range w.conns {
		seq := c.inlineSeq.Load()
		if seq != c.seenSeq {
			c.seenSeq = seq
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
	if w.readers.Load() > 0 {
		w.timer.Reset(inlineTick)
	}
}
