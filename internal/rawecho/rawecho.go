// Package rawecho is the floor that benchmarks compare uactor against: an
// echo of [4-byte big-endian length][payload] messages over a plain
// connection, with no library in between. The peer in the other process
// writes a message and reads it back, or writes many before reading.
package rawecho

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
)

// Serve echoes on every connection ln accepts, until Accept fails.
func Serve(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		go Echo(c)
	}
}

// Echo echoes messages on c until c fails; it closes c. A reply is flushed
// once no further request is already buffered, so a lone request of any
// size costs one write and a burst of pipelined ones (the multiplexed
// floor's) costs few.
func Echo(c net.Conn) {
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
		if cap(buf) < 4+n {
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
