package uactor

import (
	"net"
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
// Writes come from one goroutine at a time (frame.Writer's flusher).
type deadlineConn struct {
	net.Conn
	rc      syscall.RawConn // nil: every write gets the deadline
	timeout time.Duration

	// tryWrite's argument and result, and writeSome bound once, so that
	// a write allocates no closure.
	b    []byte
	n    int
	some func(fd uintptr) bool
}

var _ frame.BuffersWriter = (*deadlineConn)(nil)

func withWriteTimeout(c net.Conn, d time.Duration) net.Conn {
	if d <= 0 {
		return c
	}
	dc := &deadlineConn{Conn: c, timeout: d}
	if dc.rc = rawConn(c); dc.rc != nil {
		dc.some = dc.writeSome
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
	n := c.tryWrite(b)
	if n == len(b) {
		return n, nil
	}
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	m, err := c.Conn.Write(b[n:])
	c.Conn.SetWriteDeadline(time.Time{})
	return n + m, err
}

// WriteBuffers writes v under the deadline, in one system call where the
// connection allows it (frame.BuffersWriter): a large payload, sent straight
// from the caller's slice behind its frame's header. Its time is that of a
// large write, so setting the deadline costs nothing that shows.
func (c *deadlineConn) WriteBuffers(v *net.Buffers) (int64, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	n, err := v.WriteTo(c.Conn)
	c.Conn.SetWriteDeadline(time.Time{})
	return n, err
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
	}
	return true // whatever happened: never wait here
}
