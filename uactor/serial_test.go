package uactor_test

import (
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Serial: one call at a time, in arrival order, like a mailbox.

// Calls that queue behind a running call run in the order they arrived:
// each ping returns how many pings ran up to it.
func TestSerialRunsCallsInArrivalOrder(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	p := &Probe{started: make(chan struct{}, 1), release: make(chan struct{})}
	_, c := hostPlain(t, ctx, ProbeKind, p, 0, uactor.Serial())
	w, rd := frame.NewWriter(c, 0), frame.NewReader(c, 0)
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x04hold"))
	<-p.started
	const pings = 40
	for id := uint64(2); id <= pings+1; id++ {
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, []byte("\x00\x04ping"))
	}
	pingPast(t, c, w, rd) // every ping has arrived and waits behind the hold
	close(p.release)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for range pings + 1 {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if h.Type != frame.TypeReply {
			t.Fatalf("answer %v %q; want a reply", h, buf.B)
		}
		if h.ID > 1 {
			if ran := wire.NewReader(buf.B).Varint(); ran != int64(h.ID-1) {
				t.Errorf("ping %d, in arrival order, ran as number %d", h.ID-1, ran)
			}
		}
		buf.Release()
	}
}

// A queued call whose caller gives up leaves the queue at once, and is
// answered as not started, instead of waiting for the call ahead.
func TestSerialCancelledCallLeavesQueue(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	p := &Probe{started: make(chan struct{}, 1), release: make(chan struct{})}
	_, c := hostPlain(t, ctx, ProbeKind, p, 0, uactor.Serial())
	defer close(p.release)
	w, rd := frame.NewWriter(c, 0), frame.NewReader(c, 0)
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x04hold"))
	<-p.started
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 2}, []byte("\x00\x04ping"))
	w.WriteFrame(frame.Header{Type: frame.TypeCancel, ID: 2})
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, buf, err := rd.ReadFrame()
	if err != nil {
		t.Fatalf("no answer to the cancelled call while the hold runs: %v", err)
	}
	defer buf.Release()
	if h.Type != frame.TypeError || h.ID != 2 {
		t.Fatalf("answer %v %q; want call 2's error", h, buf.B)
	}
	if n := p.runs.Load(); n != 0 {
		t.Fatalf("the cancelled ping ran %d times", n)
	}
}
