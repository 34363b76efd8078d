package uactor

import (
	"io"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// keepaliveFrame answers a PING frame and drops a PONG, its answer. A PING
// is answered only while nothing else is on its way out: any frame tells
// the peer this end is alive, and a peer that pings while it reads nothing
// would otherwise have a PONG queued behind a stalled write for every PING
// it sends. The answer is written without waiting (see sendNow).
func keepaliveFrame(w *frame.Writer, h frame.Header, buf *frame.Buffer) {
	buf.Release()
	if h.Type == frame.TypePing && w.Buffered() == 0 {
		sendNow(w, frame.Header{Type: frame.TypePong, ID: h.ID})
	}
}

// sendNow writes a PING or a PONG as far as the socket takes it at once,
// and leaves the rest to the Writer (see frame.Writer.WriteFrameContext).
// A reader that waited for room to answer a PING would stop reading, and a
// keepalive check that waited to send one would stop checking, while the
// peer may be waiting for this end to read: an actor at its ConnBuffer
// bound pings, and reads again only once its answers are taken.
func sendNow(w *frame.Writer, h frame.Header) {
	w.WriteFrameContext(frame.NoWait, h)
}

// keepalive watches a connection for silence: every period it checks
// whether a frame arrived since the last check; after one silent period it
// pings, after two it gives up. It costs an entry in the process's clock,
// no timer and no goroutine of its own.
//
// While this end has stopped reading on purpose (an actor at its
// ConnBuffer bound, waiting for its replies to leave, or for its own calls
// to end with a call of the peer's next), the peer's frames
// wait unread, so its silence proves nothing: the keepalive then pings
// every period while nothing else is on its way out, so that the peer
// hears this end is alive, and gives up only if the kernel says the peer
// has hung up. So too while the peer's bytes wait in the socket for this
// end's reader, busy with what it read.
type keepalive struct {
	job         clockJob    // runs check every period
	heard       atomic.Bool // a frame arrived since the last check
	peerHeld    atomic.Bool // the reader waits for the peer (holdPeer)
	paused      atomic.Bool // this end does not read the connection for now
	pausePinged atomic.Bool // a pause sent a PING since the last check

	checking atomic.Bool // a check runs: the next waits for the round after
	silent   int         // checks without a frame; only a check touches it
	gone     bool        // dead was called; only a check touches it
	sent     uint64      // backlog's at the last check; only a check touches them
	queued   int
	got      uint64 // received's highest so far; only a check touches it
	unread   int    // received's at the last check; only a check touches it

	w *frame.Writer
	keepaliveHooks
}

// keepaliveHooks is what a keepalive tells of the peer, and asks of the
// socket.
type keepaliveHooks struct {
	pinged func()      // after a PING for one silent period; nil: nothing
	dead   func()      // the peer is gone
	hungUp func() bool // whether the peer closed its end; nil: never asked
	// backlog returns how many bytes this end has sent, ever, and how many
	// of them the socket still holds for the peer (see peerTook); ok is
	// false where the system does not say. nil: never asked.
	backlog func() (sent uint64, queued int, ok bool)
	// received returns how many bytes have arrived from the peer, ever,
	// read or not, and how many of them wait unread in the socket (see
	// counting.arrived). nil: never asked.
	received func() (got uint64, unread int)
}

// startKeepalive sends a PING on w after one silent period (then calls
// pinged) and calls dead after two, or, while paused, when hungUp reports
// true. A zero period means no keepalive (nil).
func startKeepalive(period time.Duration, w *frame.Writer, h keepaliveHooks) *keepalive {
	if period <= 0 {
		return nil
	}
	k := &keepalive{w: w, keepaliveHooks: h}
	k.job = clockJob{period: period, run: k.check}
	checks.add(&k.job)
	return k
}

// check is one period's look at the connection.
func (k *keepalive) check() {
	if !k.checking.CompareAndSwap(false, true) {
		return
	}
	defer k.checking.Store(false)
	if k.gone { // a run the clock started before dead took the job off
		return
	}
	k.pausePinged.Store(false)
	if took, arrived := k.peerTook(), k.bytesArrived(); k.heard.Swap(false) || took || arrived {
		k.silent = 0
		return
	}
	if k.paused.Load() {
		k.silent = 0
		if k.hungUp == nil || !k.hungUp() {
			k.pingUnlessSending()
			return
		}
	} else if k.unread > 0 {
		// What the peer sent waits for this end's reader, busy with what it
		// read: the peer may be held up by it (a large frame it writes
		// cannot go on until this end reads), and its PONG would wait too.
		// Only this end can catch up, and a caller that reads nothing now
		// has a reader started; meanwhile, as while paused, only a hang-up
		// ends the connection.
		k.silent = 0
		if k.hungUp == nil || !k.hungUp() {
			if k.pinged != nil {
				k.pinged()
			}
			return
		}
	} else if k.silent++; k.silent == 1 {
		sendNow(k.w, frame.Header{Type: frame.TypePing})
		if k.pinged != nil {
			k.pinged()
		}
		return
	}
	checks.remove(&k.job)
	k.gone = true
	k.dead()
}

// peerTook reports whether, since the last check, the peer took bytes
// that were waiting for it then. A peer busy reading what this end sent is
// alive although it sends nothing: its answer to a PING waits behind what
// it reads, for as long as that takes on its link. Bytes sent into an
// empty queue do not count, since a TCP peer's system acknowledges them
// even while the peer itself is stopped; bytes taken from a full queue
// show that the peer reads.
func (k *keepalive) peerTook() bool {
	if k.backlog == nil {
		return false
	}
	sent, queued, ok := k.backlog()
	if !ok {
		return false
	}
	// Taken since: what was sent, less what was added to the queue.
	took := k.queued > 0 && int64(sent-k.sent) > int64(queued-k.queued)
	k.sent, k.queued = sent, queued
	return took
}

// bytesArrived reports whether bytes arrived from the peer since the last
// check: a frame under way is heard before it is whole, which a large one
// on a slow link may not be for many periods.
func (k *keepalive) bytesArrived() bool {
	if k.received == nil {
		return false
	}
	got, unread := k.received()
	if k.peerHeld.Load() { // what waits unread is the peer's own doing: read bytes only
		got, unread = got-uint64(unread), 0
	}
	k.unread = unread
	arrived := got > k.got // a count that a read made too small last time may rise once without bytes arriving
	k.got = max(k.got, got)
	return arrived
}

// counting is a connection's reader that counts the bytes read through it,
// for keepalive (received).
type counting struct {
	io.Reader
	n  atomic.Uint64
	rc syscall.RawConn // the socket, whose unread bytes count too (arrived); nil: none
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.Reader.Read(p)
	c.n.Add(uint64(n))
	return n, err
}

// arrived returns how many bytes came from the peer, ever, those read
// through c and those the socket holds unread, and how many the socket
// holds. A reader busy with what it read (a large frame being put
// together, a call run inline) takes nothing from the socket meanwhile,
// and what the peer sends then, PONGs included, is no silence. n is loaded
// first, so that a read between the two loads makes the sum too small,
// never too large (see bytesArrived).
func (c *counting) arrived() (got uint64, unread int) {
	n := c.n.Load()
	if q, ok := unreadBytes(c.rc); ok {
		return n + uint64(q), q
	}
	return n, 0
}

// pause tells the keepalive whether this end has stopped reading the
// connection on purpose (on), or reads it again (off). A pause pings the
// peer at once, at most once a period: the peer may have pinged just
// before, in a frame this end will not read for now, and must hear from
// it within the period.
func (k *keepalive) pause(on bool) {
	if k == nil {
		return
	}
	k.paused.Store(on)
	if on && !k.pausePinged.Swap(true) {
		k.pingUnlessSending()
	}
}

// pingUnlessSending pings the peer of a paused keepalive, unless frames of
// this end's are queued or being written: those tell the peer as much, and
// a peer that takes none of them would have a PING queued behind them every
// period, for as long as it holds the connection (see keepaliveFrame).
func (k *keepalive) pingUnlessSending() {
	if k.w.Buffered() == 0 {
		sendNow(k.w, frame.Header{Type: frame.TypePing})
	}
}

// holdPeer tells the keepalive whether the reader waits for the peer to
// take its answers (on; waitSlot), or reads again (off). Meanwhile the
// bytes the peer sends wait unread by the peer's own doing: they neither
// count as hearing from it nor spare it as waiting for a busy reader, so
// that a peer taking none of its answers is dropped after two periods.
func (k *keepalive) holdPeer(on bool) {
	if k != nil {
		k.peerHeld.Store(on)
	}
}

// saw records that a frame arrived.
func (k *keepalive) saw() {
	if k != nil {
		k.heard.Store(true)
	}
}

func (k *keepalive) stop() {
	if k != nil {
		checks.remove(&k.job)
	}
}
