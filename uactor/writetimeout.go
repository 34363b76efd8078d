package uactor

import (
	"net"
	"time"
)

// deadlineConn bounds every write with a deadline, so that a peer that
// stops reading cuts the connection off instead of holding a writer, and
// what queues behind it, for ever. Setting a deadline costs a runtime timer
// update, so it is moved only once half the timeout has passed since it was
// last set: a write then has at least half the timeout, and at most all of
// it. Writes come from one goroutine at a time (frame.Writer's flusher).
type deadlineConn struct {
	net.Conn
	timeout time.Duration
	renew   time.Time // when the deadline set last is due to be moved
}

func withWriteTimeout(c net.Conn, d time.Duration) net.Conn {
	if d <= 0 {
		return c
	}
	return &deadlineConn{Conn: c, timeout: d}
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if now := time.Now(); !now.Before(c.renew) {
		c.Conn.SetWriteDeadline(now.Add(c.timeout))
		c.renew = now.Add(c.timeout / 2)
	}
	return c.Conn.Write(b)
}
