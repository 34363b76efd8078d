// Package rawecho is the floor that benchmarks compare uactor against: an
// echo of [4-byte big-endian length][payload] messages over a plain
// connection, one message at a time, with no library in between. The
// peer in the other process writes a message and reads it back.
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

// Echo echoes messages on c, each with one write, until c fails; it closes c.
func Echo(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
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
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}
