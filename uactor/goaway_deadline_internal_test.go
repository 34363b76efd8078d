package uactor

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// stopRaceConn is a connection whose reads time out at once, as on a read
// deadline in the past, and which records the read deadlines set on it.
// onRead runs in each read; onClear runs the first time a deadline is
// cleared, before the clear takes effect. The test's goroutine does all.
type stopRaceConn struct {
	net.Conn // nil: only what the test uses is implemented
	deadline time.Time
	onRead   func()
	onClear  func()
}

func (d *stopRaceConn) Read([]byte) (int, error) {
	if d.onRead != nil {
		d.onRead()
	}
	return 0, os.ErrDeadlineExceeded
}

func (d *stopRaceConn) SetReadDeadline(t time.Time) error {
	if t.IsZero() && d.onClear != nil {
		f := d.onClear
		d.onClear = nil
		f()
	}
	d.deadline = t
	return nil
}

// A reader at ConnBuffer that a release interrupts clears the read
// deadline the release set. If the stop sets the drain's deadline (after
// GOAWAY, sayGoAway) just before that clear, the clear must not wipe it:
// the reader would then block for the peer's bytes with no deadline, and an
// idle peer would be closed only at the drain's bound, the stop waiting
// for it all that while.
func TestDrainDeadlineSurvivesTheReleasesClear(t *testing.T) {
	nc := &stopRaceConn{}
	c := &serverConn{nc: nc, r: frame.NewReader(nc, 0), freed: make(chan struct{}, 1)}
	nc.onRead = func() { // a call releases its request as the reader peeks
		c.mu.Lock()
		c.signalLocked()
		c.mu.Unlock()
	}
	nc.onClear = func() { // the stop, between the reader's look at goneAway and its clear
		c.goneAway.Store(true)
		nc.SetReadDeadline(longAgo)
	}
	c.waiting = true // at the bound
	if ok, next := c.waitOrEmpty(); !ok || !next {
		t.Fatalf("waitOrEmpty after GOAWAY = %v, %v; want true, true: the reader reads on and finds the drain's deadline", ok, next)
	}
	if nc.deadline.IsZero() {
		t.Fatal("the drain's read deadline was cleared: the reader would wait for an idle peer until the drain's bound")
	}
}
