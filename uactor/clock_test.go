package uactor

import (
	"bytes"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// One check per period: a frame heard since the last one keeps the
// connection; one silent period sends a ping, two give up.
func TestKeepaliveChecks(t *testing.T) {
	var stream bytes.Buffer
	pings, deaths := 0, 0
	k := &keepalive{w: frame.NewWriter(&stream, 0), pinged: func() { pings++ }, dead: func() { deaths++ }}
	for i, step := range []struct {
		saw           bool
		pings, deaths int
	}{
		{true, 0, 0},  // heard: nothing to do
		{false, 1, 0}, // silent once: ping
		{true, 1, 0},  // the pong (or anything) was heard
		{false, 2, 0}, // silent again: ping
		{false, 2, 1}, // silent twice in a row: dead
	} {
		if step.saw {
			k.saw()
		}
		k.check()
		if pings != step.pings || deaths != step.deaths {
			t.Fatalf("check %d: %d pings, %d deaths; want %d, %d", i, pings, deaths, step.pings, step.deaths)
		}
	}
	r := frame.NewReader(&stream, 0)
	for range 2 {
		if h, buf, err := r.ReadFrame(); err != nil || h.Type != frame.TypePing {
			t.Fatalf("sent %v, %v; want a PING", h.Type, err)
		} else {
			buf.Release()
		}
	}
}

// The clock runs a registered keepalive's checks on its own: a silent
// connection is pinged, then given up, and no longer registered after.
func TestClockRunsKeepalive(t *testing.T) {
	var stream bytes.Buffer
	pinged, dead := make(chan struct{}, 1), make(chan struct{})
	k := startKeepalive(20*time.Millisecond, frame.NewWriter(&stream, 0),
		func() { pinged <- struct{}{} }, func() { close(dead) })
	select {
	case <-dead:
	case <-time.After(10 * time.Second):
		k.stop()
		t.Fatal("a silent connection was not given up within 10 s")
	}
	select {
	case <-pinged:
	default:
		t.Fatal("given up without a ping first")
	}
	if h, _, err := frame.NewReader(&stream, 0).ReadFrame(); err != nil || h.Type != frame.TypePing {
		t.Fatalf("sent %v, %v; want a PING", h.Type, err)
	}
	checks.mu.Lock()
	_, registered := checks.jobs[&k.job]
	checks.mu.Unlock()
	if registered {
		t.Fatal("a keepalive that gave up is still registered")
	}
}
