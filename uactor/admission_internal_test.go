package uactor

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
)

// The rejections of one actor leave failInterval apart however many come
// at once, so a guesser gets at most one answer per interval; a rejection
// after a quiet spell leaves at once, with no credit saved up for a burst.
func TestFailGateSpacesRejections(t *testing.T) {
	g := newFailGate()
	now := time.Unix(1000, 0)
	for i := range 10 {
		if at, want := g.turn(now), now.Add(time.Duration(i)*failInterval); !at.Equal(want) {
			t.Fatalf("rejection %d of a burst leaves at %v; want %v", i, at.Sub(now), want.Sub(now))
		}
	}
	// Halfway through the queue: behind the last one still.
	mid := now.Add(5 * failInterval)
	if at, want := g.turn(mid), now.Add(10*failInterval); !at.Equal(want) {
		t.Fatalf("a rejection during the queue leaves at %v; want %v", at.Sub(now), want.Sub(now))
	}
	later := now.Add(time.Hour)
	for i := range 3 {
		if at, want := g.turn(later), later.Add(time.Duration(i)*failInterval); !at.Equal(want) {
			t.Fatalf("after a quiet hour, rejection %d leaves at %v; want %v", i, at.Sub(later), want.Sub(later))
		}
	}
}

// gatedConn, once gated, holds each Read that got bytes until release:
// the bytes are off the socket, but its reader has not returned them yet.
type gatedConn struct {
	net.Conn
	gated   atomic.Bool
	got     chan struct{} // closed as a gated Read got its bytes
	release chan struct{}
}

func (c *gatedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.gated.Load() {
		close(c.got)
		<-c.release
	}
	return n, err
}

// A connection whose proof its handshake read is never evicted
// (PROTOCOL.md, Admission), however close a new connection comes to that
// read: either the new one evicts it before its read returns the proof,
// which the handshake then never gets, or the proof is read and the
// connection goes on to its verdict.
func TestProofReadIsNeverEvicted(t *testing.T) {
	s := &server{opts: options{maxHS: 1, maxConns: 1}, hs: map[*hsConn]struct{}{}, conns: map[net.Conn]struct{}{}}
	pipe := func() (net.Conn, net.Conn) {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	}
	a, peer := pipe()
	g := &gatedConn{Conn: a, got: make(chan struct{}), release: make(chan struct{})}
	hc := s.admit(g)
	if hc == nil {
		t.Fatal("the first connection was not admitted")
	}
	go peer.Write(make([]byte, handshake.ClientHelloSize+handshake.ClientProofSize))
	if _, err := io.ReadFull(hc, make([]byte, handshake.ClientHelloSize)); err != nil {
		t.Fatal(err)
	}
	g.gated.Store(true)
	read := make(chan error, 1)
	go func() { _, err := io.ReadFull(hc, make([]byte, handshake.ClientProofSize)); read <- err }()
	select {
	case <-g.got:
	case <-time.After(10 * time.Second):
		t.Fatal("the proof never reached the reader")
	}
	b, _ := pipe()
	if s.admit(b) == nil { // the budget is full: it takes the place of the one waiting for its proof
		t.Fatal("the new connection was not admitted")
	}
	close(g.release)
	var err error
	select {
	case err = <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the proof's read never returned")
	}
	if err != nil {
		return // evicted before the proof was read: it never is
	}
	if err := s.authenticated(hc); err != nil {
		t.Fatalf("a connection whose proof was read: %v; want it admitted (it was evicted after the read)", err)
	}
}
