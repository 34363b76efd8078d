package uactor

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/handshake"
)

// sendBuffer is what the kernel reports as nc's send buffer.
func sendBuffer(t *testing.T, nc net.Conn) int {
	t.Helper()
	rc := rawConn(nc)
	if rc == nil {
		t.Fatalf("%T has no descriptor", nc)
	}
	var n int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	}); err != nil || serr != nil {
		t.Fatal(errors.Join(err, serr))
	}
	return n
}

// A connection that carries calls over a Unix socket has a send buffer that
// takes a large message whole, as far as the kernel allows: the caller's
// end, and the end an actor serves.
func TestUnixConnSendBufferFitsLargeMessages(t *testing.T) {
	want := conntest.UnixSendGranted(t)

	a, _ := conntest.Unix(t)
	c := newClientConn(a, address{network: "unix", addr: "pair"}, &handshake.Session{}, defaultOptions(), false)
	t.Cleanup(func() { c.close(net.ErrClosed) })
	if got := sendBuffer(t, a); got < want {
		t.Errorf("client connection's send buffer = %d bytes, want at least %d", got, want)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	r, err := Host(ctx, sleeperKind, sleeper{}) // on a Unix socket
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := sleepM.Call(ctx, r, 0); err != nil { // so that the actor serves a connection
		t.Fatal(err)
	}
	s := r.h.owner.(*server)
	s.mu.Lock()
	var served []net.Conn
	for nc := range s.conns {
		served = append(served, nc)
	}
	s.mu.Unlock()
	if len(served) == 0 {
		t.Fatal("the actor serves no connection after a call")
	}
	for _, nc := range served {
		if got := sendBuffer(t, nc); got < want {
			t.Errorf("actor's end of a connection: send buffer = %d bytes, want at least %d", got, want)
		}
	}
}
