package uactor

import (
	"bytes"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// A peer that takes none of its answers while the reader waits for a call
// slot (MaxInFlight) is dropped by keepalive after two periods, even if
// bytes it sent wait unread meanwhile: the reader waits for the peer, not
// the peer for a busy reader. Before, bytes waiting unread spared the peer
// for as long as it left them there, and with WriteTimeout(0) the
// connection, its calls and its answers were held for ever.
func TestKeepaliveDropsPeerHoldingSlotWithBytesUnread(t *testing.T) {
	const period = 100 * time.Millisecond
	s := servedServer(t, MaxInFlight(1), WriteTimeout(0), Keepalive(period))
	cl, c := waitingForSlot(t, s)
	if _, err := cl.Write(callFrames(3, []byte("y"), "echo")); err != nil { // left unread
		t.Fatal(err)
	}
	waitDropped(t, c, period, "the reader began to wait for a slot")
}

// waitDropped fails the test unless keepalive, every period, drops c's
// peer, which takes none of its answers, within 50 periods of when.
func waitDropped(t *testing.T, c *serverConn, period time.Duration, when string) {
	t.Helper()
	select {
	case <-c.dead:
	case <-time.After(50 * period):
		t.Fatalf("peer that took no answer, its bytes unread, still held %v after %s (keepalive %v, WriteTimeout 0)", 50*period, when, period)
	}
}

// A peer that takes none of its answers while the reader itself is stuck
// writing one (the error for a method the kind lacks) is dropped by
// keepalive after two periods, even if bytes it sent wait unread
// meanwhile, as at the call-slot bound: the reader waits for the peer, not
// the peer for a busy reader.
func TestKeepaliveDropsPeerWhileReaderWritesErrorAnswer(t *testing.T) {
	const period = 100 * time.Millisecond
	s := servedServer(t, WriteTimeout(0), Keepalive(period))
	cl, c := serveUnread(t, s) // nothing the actor writes can leave
	burst := callFrames(1, []byte("y"), "nosuch")
	for i := range 64 { // more than the reader takes in one read: left unread
		burst = append(burst, callFrames(uint64(2+i), make([]byte, 4<<10), "echo")...)
	}
	go cl.Write(burst)
	waitDropped(t, c, period, "its burst")
}

// As above, with the reader stuck writing answers it held back (a burst of
// a call and a PING), not an error of its own.
func TestKeepaliveDropsPeerWhileReaderKicksHeldAnswers(t *testing.T) {
	const period = 100 * time.Millisecond
	s := servedServer(t, WriteTimeout(0), Keepalive(period))
	cl, c := serveUnread(t, s)
	var b bytes.Buffer
	b.Write(callFrames(1, []byte("y"), "echo"))
	if err := frame.NewWriter(&b, 1<<10).WriteFrame(frame.Header{Type: frame.TypePing}); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
	// Call 1's answer, held back for the PING behind it, cannot leave:
	// the reader writes it, and waits.
	waitLocked(t, &c.mu, "call 1's answer to be written", func() bool { return c.w.Buffered() > 0 })
	time.Sleep(50 * time.Millisecond)
	// Left unread.
	go cl.Write(callFrames(2, []byte("z"), "echo", "echo"))
	waitDropped(t, c, period, "the reader began to write its answer")
}
