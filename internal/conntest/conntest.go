// Package conntest gives tests the two ends of a connection, closed when the
// test ends: in memory, over loopback TCP, or over a Unix socket.
package conntest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// dialTimeout bounds the connection's set-up, so that a broken network
// fails the test rather than hanging it.
const dialTimeout = 10 * time.Second

// Pipe returns the two ends of a net.Pipe: synchronous, with no buffering.
func Pipe(tb testing.TB) (client, server net.Conn) {
	client, server = net.Pipe()
	tb.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TCP returns the two ends of a loopback TCP connection. Unlike a Pipe's,
// its writes reach the kernel, are buffered there, and arrive split at
// arbitrary points.
func TCP(tb testing.TB) (client, server net.Conn) {
	tb.Helper()
	return Pair(tb, "tcp", "127.0.0.1:0")
}

// Unix returns the two ends of a Unix socket connection, bound in a fresh
// directory.
func Unix(tb testing.TB) (client, server net.Conn) {
	tb.Helper()
	// Not tb.TempDir: its long paths can exceed the socket path limit.
	dir, err := os.MkdirTemp("", "conntest")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return Pair(tb, "unix", filepath.Join(dir, "s"))
}

// Pair connects a client to a one-shot listener on network and addr, and
// returns both ends.
func Pair(tb testing.TB, network, addr string) (client, server net.Conn) {
	tb.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		s, _ := ln.Accept()
		accepted <- s
	}()
	client, err = net.DialTimeout(network, ln.Addr().String(), dialTimeout)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	server = <-accepted
	if server == nil {
		tb.Fatal("accept failed")
	}
	tb.Cleanup(func() { server.Close() })
	return client, server
}
