package uactor

import "net"

// unixSendBuffer is the send buffer asked for on a Unix stream socket (the
// kernel doubles it for its own accounting and caps it at
// net.core.wmem_max). At the kernel's default of about 200 KiB, a message
// of a MiB crosses in five or more pieces, each of which wakes the reader
// and, on one CPU, costs a context switch both ways; with this, it crosses
// in one write and one read. The kernel charges the memory only while
// bytes wait in the buffer, so idle connections cost nothing more. TCP is
// left alone: setting the buffer there would turn off the kernel's
// autotuning, which does better.
const unixSendBuffer = 1 << 20

// sizeBuffers gives a Unix stream connection a send buffer that fits a
// large message whole. A failure leaves the kernel's default, which works.
func sizeBuffers(nc net.Conn) {
	if uc, ok := nc.(*net.UnixConn); ok {
		uc.SetWriteBuffer(unixSendBuffer)
	}
}
