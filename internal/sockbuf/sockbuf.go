// Package sockbuf sizes the send buffer of a Unix stream connection: the
// one place that says what uactor asks for, so that the benchmarks' raw
// floors ask for the same and a floor is not held back by a buffer that
// uactor's connections do not have.
package sockbuf

import "net"

// UnixSend is the send buffer asked for on a Unix stream socket (the
// kernel doubles it for its own accounting and caps it at
// net.core.wmem_max). At the kernel's default of about 200 KiB, a message
// of a MiB crosses in five or more pieces, each of which wakes the reader
// and, on one CPU, costs a context switch both ways; with this, it crosses
// in one write and one read. The kernel charges the memory only while
// bytes wait in the buffer, so idle connections cost nothing more. TCP is
// left alone: setting the buffer there would turn off the kernel's
// autotuning, which does better.
const UnixSend = 1 << 20

// Size gives a Unix stream connection a send buffer that fits a large
// message whole; other connections it leaves alone. A failure leaves the
// kernel's default, which works.
func Size(nc net.Conn) {
	if uc, ok := nc.(*net.UnixConn); ok {
		uc.SetWriteBuffer(UnixSend)
	}
}
