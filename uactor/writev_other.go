//go:build !linux

package uactor

import (
	"net"
	"sync/atomic"
)

// vecWriter writes a deadlineConn's net.Buffers with net.Buffers' WriteTo,
// and adds what it wrote to the connection's count once it is done: only
// Linux tells keepalive what the peer took (unsentBytes), so counting as it
// goes would serve nothing.
type vecWriter struct{}

func (w *vecWriter) init(*atomic.Uint64) {}

func (w *vecWriter) write(c *deadlineConn, v *net.Buffers) (int64, error) {
	n, err := v.WriteTo(c.Conn)
	c.sent.Add(uint64(n))
	return n, err
}
