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
	park := servedKind.entry.method("park")
	park.blocks.Store(true)    // call 1 runs on a worker, so the reader reads on
	cl, c := serveUnread(t, s) // call 1's answer cannot leave
	if _, err := cl.Write(callFrames(1, nil, "park")); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, &c.mu, "call 1 to begin", func() bool { return c.cancels[1] != nil })
	var cancel bytes.Buffer
	frame.NewWriter(&cancel, 1<<10).WriteFrame(frame.Header{Type: frame.TypeCancel, ID: 1})
	if _, err := cl.Write(cancel.Bytes()); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, &c.mu, "call 1's answer to go on its way", func() bool { return c.leaving == 1 })
	if _, err := cl.Write(callFrames(2, []byte("x"), "echo")); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, &c.mu, "the reader to wait for a slot", func() bool { return c.waiting })
	if _, err := cl.Write(callFrames(3, []byte("y"), "echo")); err != nil { // left unread
		t.Fatal(err)
	}
	select {
	case <-c.dead:
	case <-time.After(50 * period):
		t.Fatalf("peer that took no answer still held %v after the reader began to wait for a slot (keepalive %v)", 50*period, period)
	}
}
