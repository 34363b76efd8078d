package uactor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// deadlineConn bounds every write with a deadline, so that a peer that
// stops reading cuts the connection off instead of holding a writer, and
// what queues behind it, for ever. A write is first offered to the socket
// once, without waiting; only what the socket cannot take at once is
// written under a deadline, which is cleared again after. A deadline is a
// runtime timer, and a process with a timer pending waits for input with a
// timeout (see clock.go), so the writes that fit, nearly all of them, set
// none; a large frame sent from several slices (WriteBuffers) always does.
//
// It is also the frame.ContextWriter that lets a caller who gave up leave a
// write that waits: the caller's context being done moves the deadline to
// the past, and the frame.Writer finishes the write without it. With a
// timeout of zero, writes wait without a deadline but can still be cut.
//
// Writes come from one goroutine at a time (frame.Writer's flusher).
type deadlineConn struct {
	net.Conn
	rc      syscall.RawConn // nil: every write gets the deadline
	timeout time.Duration   // 0: none

	// The write's argument and progress, and the functions that make its
	// system calls bound once, so that a write allocates no closure.
	b    []byte
	n    int
	err  error // writeMore's, from the system
	some func(fd uintptr) bool
	more func(fd uintptr) bool
	vecs vecWriter // WriteBuffers', where the system allows it

	// The deadline begin set for the write now waiting, and that of a
	// write cut short, which its rest keeps (zero: none). Only the writing
	// goroutine touches them.
	until  time.Time
	resume time.Time

	// mu orders a context's cut against the write it is meant for. The
	// function that cuts is registered once per context, not per write, and
	// stays registered across writes made with the same context (a
	// registration allocates): it cuts only a write waiting under that
	// context, so one that comes late, after its write ended, does nothing.
	mu      sync.Mutex
	waiting <-chan struct{} // Done of the context of the write now waiting; nil: none
	cut     bool            // the write now waiting was cut short
	armed   <-chan struct{} // Done of the context the cut is registered with
	disarm  func() bool     // unregisters it
	closed  bool            // by Close: register nothing more

	sent atomic.Uint64 // bytes the socket took, ever (see backlog)
}

var (
	_ frame.BuffersWriter = (*deadlineConn)(nil)
	_ frame.ContextWriter = (*deadlineConn)(nil)
)

// longAgo is a deadline already passed: a blocked read or write returns at
// once.
var longAgo = time.Unix(1, 0)

func withWriteTimeout(c net.Conn, d time.Duration) *deadlineConn {
	dc := &deadlineConn{Conn: c, timeout: max(d, 0)}
	dc.vecs.init(&dc.sent)
	if dc.rc = rawConn(c); dc.rc != nil {
		dc.some, dc.more = dc.writeSome, dc.writeMore
	}
	return dc
}

// rawConn returns nc's raw descriptor access, or nil if it has none.
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	return c.WriteContext(context.Background(), b)
}

// WriteContext writes b, and returns early with an error wrapping ctx's
// once ctx is done (frame.ContextWriter).
func (c *deadlineConn) WriteContext(ctx context.Context, b []byte) (int, error) {
	n := c.tryWrite(b)
	if n == len(b) {
		c.resume = time.Time{} // the rest of a write cut short went out at once
		return n, nil
	}
	c.begin(ctx)
	m, err := c.writeWaiting(b[n:])
	return n + m, c.end(ctx, err)
}

// WriteBuffers writes v under the deadline, in one system call where the
// connection allows it (frame.BuffersWriter): a large payload, sent straight
// from the caller's slice behind its frame's header. Its time is that of a
// large write, so setting the deadline costs nothing that shows.
func (c *deadlineConn) WriteBuffers(v *net.Buffers) (int64, error) {
	return c.WriteBuffersContext(context.Background(), v)
}

// WriteBuffersContext is WriteBuffers cut short once ctx is done.
func (c *deadlineConn) WriteBuffersContext(ctx context.Context, v *net.Buffers) (int64, error) {
	c.begin(ctx)
	n, err := c.vecs.write(c, v)
	return n, c.end(ctx, err)
}

// writeWaiting writes b under the deadline begin set, counting in c.sent
// what each system call wrote as it goes: a write that waits may last
// many keepalive periods while the peer reads, and keepalive looks at the
// count (backlog). It returns what net.Conn's Write would.
func (c *deadlineConn) writeWaiting(b []byte) (int, error) {
	if c.rc == nil {
		n, err := c.Conn.Write(b)
		c.sent.Add(uint64(n))
		return n, err
	}
	c.b, c.n, c.err = b, 0, nil
	err := c.rc.Write(c.more) // waits in the poller, under the deadline
	n := c.n
	if err == nil && c.err != nil {
		err = c.opError("write", c.err)
	}
	c.b, c.err = nil, nil
	return n, err
}

// maxWrite bounds one write system call, as the net package does: some
// systems refuse a write of more than 2 GiB.
const maxWrite = 1 << 30

// opError is err, from the system call op, as the net package reports it.
func (c *deadlineConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// writeMore is writeWaiting's attempt each time the socket has room, made
// with the descriptor locked: it reports true once b is written or the
// system failed it, false to wait for room.
func (c *deadlineConn) writeMore(fd uintptr) bool {
	for c.n < len(c.b) {
		m, err := syscall.Write(int(fd), c.b[c.n:min(len(c.b), c.n+maxWrite)])
		if m > 0 {
			c.n += m
			c.sent.Add(uint64(m))
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return false
		case err != nil:
			c.err = os.NewSyscallError("write", err)
			return true
		case m == 0:
			c.err = io.ErrUnexpectedEOF
			return true
		}
	}
	return true
}

// backlog returns how many bytes the connection was written, ever, and how
// many of them its socket still holds for the peer, if the system says
// (unsentBytes): what keepalive learns of a peer busy reading.
func (c *deadlineConn) backlog() (sent uint64, queued int, ok bool) {
	if c.rc == nil {
		return 0, 0, false
	}
	queued, ok = unsentBytes(c.rc)
	return c.sent.Load(), queued, ok
}

// begin sets a waiting write's deadline, and has ctx, once done, move it to
// the past.
func (c *deadlineConn) begin(ctx context.Context) {
	d := ctx.Done()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.timeout > 0 {
		// The rest of a write cut short is the same write, and the
		// Writer's next: it keeps that write's deadline, or a peer that
		// stopped reading would hold it for up to twice the timeout.
		c.until = c.resume
		if c.until.IsZero() {
			c.until = time.Now().Add(c.timeout)
		}
		c.Conn.SetWriteDeadline(c.until)
	}
	c.resume = time.Time{}
	c.waiting = d
	switch {
	case d == nil: // never done
	case c.closed: // the write fails at once
	case d != c.armed:
		c.unregisterLocked()
		c.armed = d
		c.disarm = context.AfterFunc(ctx, func() { c.cutShort(d) })
	default:
		select {
		case <-d: // done before, when it cut what waited then (or nothing)
			c.cutLocked()
		default:
		}
	}
}

// cutShort cuts the write now waiting if it waits under the context whose
// Done is d.
func (c *deadlineConn) cutShort(d <-chan struct{}) {
	c.mu.Lock()
	if c.waiting == d {
		c.cutLocked()
	}
	c.mu.Unlock()
}

func (c *deadlineConn) cutLocked() {
	c.cut = true
	c.Conn.SetWriteDeadline(longAgo)
}

// end clears what begin set, and returns the write's error: if the write
// failed because ctx cut it short, one that wraps ctx's error.
func (c *deadlineConn) end(ctx context.Context, err error) error {
	c.mu.Lock()
	c.waiting = nil
	cut := c.cut
	c.cut = false
	if c.timeout > 0 || cut {
		c.Conn.SetWriteDeadline(time.Time{})
	}
	cut = cut && err != nil && errors.Is(err, os.ErrDeadlineExceeded)
	if cut {
		c.resume = c.until
	}
	c.mu.Unlock()
	if cut {
		return fmt.Errorf("write cut short: %w", ctx.Err())
	}
	return err
}

// unregisterLocked takes the cut off the context it is registered with.
func (c *deadlineConn) unregisterLocked() {
	if c.disarm != nil {
		c.disarm()
	}
	c.armed, c.disarm = nil, nil
}

// Close closes the connection, and lets go of the context the cut is
// registered with: a long-lived context would otherwise keep the
// connection reachable after it closed.
func (c *deadlineConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.unregisterLocked()
	c.mu.Unlock()
	return c.Conn.Close()
}

// tryWrite writes what the socket takes of b without waiting, and returns
// how much that was. It reports no error: a write that failed is made again
// by net.Conn's Write, which reports it as the net package does.
func (c *deadlineConn) tryWrite(b []byte) int {
	if c.rc == nil || len(b) == 0 {
		return 0
	}
	c.b, c.n = b, 0
	c.rc.Write(c.some)
	c.b = nil
	return c.n
}

// writeSome is tryWrite's one attempt, made with the descriptor locked.
func (c *deadlineConn) writeSome(fd uintptr) bool {
	if m, err := syscall.Write(int(fd), c.b); err == nil && m > 0 {
		c.n = m
		c.sent.Add(uint64(m))
	}
	return true // whatever happened: never wait here
}
