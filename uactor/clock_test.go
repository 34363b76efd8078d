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
	k := &keepalive{w: frame.NewWriter(&stream, 0), keepaliveHooks: keepaliveHooks{pinged: func() { pings++ }, dead: func() { deaths++ }}}
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

// While this end has stopped reading, silence counts for nothing: a pause
// pings at once (once a period), each silent period sends a ping, and only
// a peer that hung up is given up.
func TestKeepalivePausedChecks(t *testing.T) {
	var stream bytes.Buffer
	deaths, gone := 0, false
	k := &keepalive{w: frame.NewWriter(&stream, 0), keepaliveHooks: keepaliveHooks{dead: func() { deaths++ }, hungUp: func() bool { return gone }}}
	k.check() // silent once before the pause: pinged
	k.pause(true)
	k.pause(false)
	k.pause(true) // twice within a period: one ping
	if n := countPings(t, stream.Bytes()); n != 2 {
		t.Fatalf("after two pauses in a period: %d pings; want 2", n)
	}
	for i, step := range []struct {
		gone          bool
		pings, deaths int
	}{
		{false, 3, 0}, // silent twice in a row, but paused: ping again
		{false, 4, 0},
		{false, 5, 0},
	} {
		gone = step.gone
		k.check()
		if n := countPings(t, stream.Bytes()); n != step.pings || deaths != step.deaths {
			t.Fatalf("check %d: %d pings, %d deaths; want %d, %d", i, n, deaths, step.pings, step.deaths)
		}
	}
	k.pause(false)
	k.check()
	k.check()
	if n := countPings(t, stream.Bytes()); n != 6 || deaths != 1 {
		t.Fatalf("reading again, two silent periods: %d pings, %d deaths; want 6, 1", n, deaths)
	}

	// Paused, the peer hangs up: dead at the next check.
	stream.Reset()
	deaths, gone = 0, true
	k = &keepalive{w: frame.NewWriter(&stream, 0), keepaliveHooks: keepaliveHooks{dead: func() { deaths++ }, hungUp: func() bool { return gone }}}
	k.pause(true)
	k.check()
	if n := countPings(t, stream.Bytes()); n != 1 || deaths != 1 {
		t.Fatalf("paused, the peer hung up: %d pings, %d deaths; want 1 (the pause's), 1", n, deaths)
	}
}

// A peer that takes bytes waiting for it is heard, though it sends
// nothing; bytes taken from an empty queue (acknowledged by a stopped TCP
// peer's system), a queue that only grows, and a system that does not say
// are not.
func TestKeepalivePeerTook(t *testing.T) {
	type look struct {
		sent   uint64
		queued int
		ok     bool
	}
	for _, tc := range []struct {
		name  string
		looks []look // one a check: the last check finds the peer gone, no other
	}{
		{"acknowledged from an empty queue", []look{{100, 0, true}, {116, 0, true}}},
		{"taken from a waiting queue", []look{{200, 80, true}, {300, 90, true}, {300, 40, true}, {400, 140, true}, {400, 140, true}}},
		{"a queue that only grows", []look{{200, 80, true}, {300, 180, true}}},
		{"the system does not say", []look{{200, 80, true}, {300, 0, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var at look
			deaths := 0
			k := &keepalive{w: frame.NewWriter(new(bytes.Buffer), 0), keepaliveHooks: keepaliveHooks{
				dead:    func() { deaths++ },
				backlog: func() (uint64, int, bool) { return at.sent, at.queued, at.ok },
			}}
			for i, l := range tc.looks {
				at = l
				k.check()
				if want := i == len(tc.looks)-1; (deaths == 1) != want || deaths > 1 {
					t.Fatalf("check %d (%+v): %d deaths; want the peer gone: %v", i, l, deaths, want)
				}
			}
		})
	}
}

// countPings counts the PING frames in b.
func countPings(t *testing.T, b []byte) int {
	t.Helper()
	r, n := frame.NewReader(bytes.NewReader(b), 0), 0
	for {
		h, buf, err := r.ReadFrame()
		if err != nil {
			return n
		}
		buf.Release()
		if h.Type != frame.TypePing {
			t.Fatalf("sent a %v; want only PINGs", h.Type)
		}
		n++
	}
}

// The clock runs a registered keepalive's checks on its own: a silent
// connection is pinged, then given up, and no longer registered after.
func TestClockRunsKeepalive(t *testing.T) {
	var stream bytes.Buffer
	pinged, dead := make(chan struct{}, 1), make(chan struct{})
	k := startKeepalive(20*time.Millisecond, frame.NewWriter(&stream, 0),
		keepaliveHooks{pinged: func() { pinged <- struct{}{} }, dead: func() { close(dead) }})
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
