package uactor

import (
	"testing"
	"time"
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
	select {
	case <-c.dead:
	case <-time.After(50 * period):
		t.Fatalf("peer that took no answer still held %v after the reader began to wait for a slot (keepalive %v)", 50*period, period)
	}
}
