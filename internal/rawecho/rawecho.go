// Package rawecho is the floor that benchmarks compare uactor against: an
// echo of [4-byte big-endian length][payload] messages over a plain
// connection, with no library in between. The peer in the other process
// writes a message and reads it back, or writes many before reading.
//
// EchoOwning is the floor for a receiver that keeps what it is sent, as
// uactor's do: a handler owns its []byte request and a caller its
// response, so each arrives in an array of its own.
package rawecho

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"

	"github.com/uactor-go/uactor/internal/sockbuf"
)

// Caller returns one round trip of the floor on c: a size-byte message
// written, then its echo read back. With owning, each echo is read into a
// new array, as a caller that keeps it must; otherwise into one array that
// every call reuses. A Unix connection gets the send buffer uactor's get
// (sockbuf), so that the floor differs from uactor only by the library.
func Caller(c net.Conn, size int, owning bool) func() error {
	sockbuf.Size(c)
	msg := make([]byte, 4+size)
	binary.BigEndian.PutUint32(msg, uint32(size))
	in := make([]byte, len(msg))
	return func() error {
		if owning {
			in = make([]byte, len(msg))
		}
		if _, err := c.Write(msg); err != nil {
			return err
		}
		_, err := io.ReadFull(c, in)
		return err
	}
}

// Serve echoes with Echo on every connection ln accepts, until Accept
// fails.
func Serve(ln net.Listener) error { return serve(ln, Echo) }

// ServeOwning is Serve with EchoOwning on each connection.
func ServeOwning(ln net.Listener) error { return serve(ln, EchoOwning) }

func serve(ln net.Listener, echo func(net.Conn)) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		sockbuf.Size(c) // as an actor's connections
		go echo(c)
	}
}

// Echo echoes messages on c until c fails; it closes c. A reply is flushed
// once no further request is already buffered, so a lone request of any
// size costs one write and a burst of pipelined ones (the multiplexed
// floor's) costs few. Every message is read into one array, grown as
// needed.
func Echo(c net.Conn) { echo(c, false) }

// EchoOwning is Echo reading every message into a new array, as a receiver
// that may keep each one must: the difference from Echo is what that
// ownership costs (an allocation a message, and the collections it paces).
func EchoOwning(c net.Conn) { echo(c, true) }

func echo(c net.Conn, owning bool) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 64<<10)
	var buf []byte
	for {
		var h [4]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(h[:]))
		if owning || cap(buf) < 4+n {
			buf = make([]byte, 4+n)
		}
		buf = buf[:4+n]
		copy(buf, h[:])
		if _, err := io.ReadFull(r, buf[4:]); err != nil {
			return
		}
		// One Write of the whole message: with nothing buffered, bufio
		// hands a large one straight to c rather than in pieces.
		if _, err := w.Write(buf); err != nil {
			return
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}
