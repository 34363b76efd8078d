//go:build unix

package uactor

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
)

// connPair returns the two ends of a connection over network, "unix" or
// "tcp" (loopback), closed when the test ends.
func connPair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	if network == "unix" {
		return conntest.Unix(t)
	}
	return conntest.TCP(t)
}

// newSpinReader is spinning's reader for nc, whatever GOMAXPROCS is, with
// the preemption gap wide so that a loaded machine cannot end a spin early.
func newSpinReader(t *testing.T, nc net.Conn, budget time.Duration, due bool) *spinReader {
	return newYieldingReader(t, nc, budget, due, false)
}

// newYieldingReader is newSpinReader, yielding the CPU instead of spinning
// if yield.
func newYieldingReader(t *testing.T, nc net.Conn, budget time.Duration, due, yield bool) *spinReader {
	t.Helper()
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	s := &spinReader{nc: nc, rc: rc, net: nc.LocalAddr().Network(), budget: budget, yield: yield, gap: time.Hour, when: func() bool { return due }, back: 1}
	s.try = s.attempt
	return s
}

// writeAfter writes p to c after d, from another goroutine.
func writeAfter(t *testing.T, c net.Conn, d time.Duration, p []byte) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(d)
		c.Write(p)
	}()
	t.Cleanup(func() { <-done })
}

// A spinning read returns what the peer sent whether it was there already,
// came during the spin, or came after it; and it keeps the adaptive
// back-off: a spin that ran out makes the next reads park at once, one
// that paid resets it, and a read with nothing due does not count, nor one
// after a bulk transfer, which parks at once.
func TestSpinReaderReads(t *testing.T) {
	cases := []struct {
		name      string
		budget    time.Duration
		yield     bool
		due       bool
		delay     time.Duration // before the peer writes; <0: written before the read
		got       int           // bytes read since the last wait, before the read
		back      int           // the back-off before the read
		skip      int           // the reader's skip after it
		backAfter int           // and its back-off
	}{
		{"there already", time.Millisecond, false, true, -1, 0, 4, 0, 4},
		{"came during the spin", time.Minute, false, true, 20 * time.Millisecond, 0, 8, 0, 1},
		{"came after the spin", time.Microsecond, false, true, 20 * time.Millisecond, 0, 4, 4, 8},
		{"back-off capped", time.Microsecond, false, true, 20 * time.Millisecond, 0, maxSpinSkip, maxSpinSkip, maxSpinSkip},
		{"nothing due", time.Minute, false, false, 20 * time.Millisecond, 0, 4, 0, 4},
		{"yield, there already", time.Minute, true, true, -1, 0, 4, 0, 4},
		{"came after the yield", time.Minute, true, true, 20 * time.Millisecond, 0, 4, 4, 8},
		{"yield, nothing due", time.Minute, true, false, 20 * time.Millisecond, 0, 4, 0, 4},
		{"after a bulk transfer", time.Minute, false, true, 20 * time.Millisecond, bulk + 1, 4, 0, 4},
		{"yield, after a bulk transfer", time.Minute, true, true, 20 * time.Millisecond, bulk + 1, 4, 0, 4},
	}
	for _, network := range []string{"unix", "tcp"} {
		for _, c := range cases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				a, b := connPair(t, network)
				s := newYieldingReader(t, a, c.budget, c.due, c.yield)
				s.back, s.got = c.back, c.got
				msg := []byte("reply")
				if c.delay < 0 {
					b.Write(msg)
				} else {
					writeAfter(t, b, c.delay, msg)
				}
				a.SetReadDeadline(time.Now().Add(time.Minute))
				p := make([]byte, 64)
				n, err := s.Read(p)
				if err != nil || string(p[:n]) != "reply" {
					t.Fatalf("Read: %q, %v; want %q", p[:n], err, msg)
				}
				if s.skip != c.skip || s.back != c.backAfter {
					t.Errorf("after the read: skip %d, back %d; want %d, %d", s.skip, s.back, c.skip, c.backAfter)
				}
				wantGot := c.got + n
				if c.due && c.delay >= 0 {
					wantGot = n // a wait for a message starts the count again
				}
				if s.got != wantGot {
					t.Errorf("bytes since the last wait: %d; want %d", s.got, wantGot)
				}
			})
		}
	}
}

// Reads that skip spinning after a failed spin go straight to the socket,
// and count down.
func TestSpinReaderSkips(t *testing.T) {
	a, b := connPair(t, "unix")
	s := newSpinReader(t, a, time.Minute, true)
	s.skip = 2
	p := make([]byte, 8)
	for i := range 2 {
		writeAfter(t, b, 10*time.Millisecond, []byte{byte(i)})
		if n, err := s.Read(p); err != nil || n != 1 || p[0] != byte(i) {
			t.Fatalf("read %d: %d bytes %v, %v", i, n, p[:n], err)
		}
	}
	if s.skip != 0 || s.back != 1 {
		t.Fatalf("skip %d, back %d after two skipped reads; want 0, 1", s.skip, s.back)
	}
}

// A spinning read ends as net.Conn's would: EOF when the peer closes, the
// deadline's error (after which reading goes on), the closed connection's.
func TestSpinReaderEnds(t *testing.T) {
	p := make([]byte, 8)
	t.Run("peer closes", func(t *testing.T) {
		a, b := connPair(t, "unix")
		s := newSpinReader(t, a, time.Millisecond, true)
		b.Close()
		if _, err := s.Read(p); err != io.EOF {
			t.Fatalf("Read: %v; want io.EOF", err)
		}
	})
	t.Run("peer resets", func(t *testing.T) {
		a, b := connPair(t, "tcp")
		s := newSpinReader(t, a, time.Millisecond, true)
		b.(*net.TCPConn).SetLinger(0)
		a.Write([]byte("unread")) // so that the close resets
		time.Sleep(10 * time.Millisecond)
		b.Close()
		_, err := s.Read(p)
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" || oe.Net != "tcp" || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("Read: %v; want a read *net.OpError on tcp for ECONNRESET", err)
		}
	})
	t.Run("deadline passes", func(t *testing.T) {
		a, b := connPair(t, "unix")
		s := newSpinReader(t, a, 5*time.Millisecond, true)
		a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := s.Read(p); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read: %v; want os.ErrDeadlineExceeded", err)
		}
		if s.skip != 0 || s.back != 1 {
			t.Fatalf("a deadline counted as a failed spin: skip %d, back %d", s.skip, s.back)
		}
		a.SetReadDeadline(time.Time{})
		b.Write([]byte("later"))
		if n, err := s.Read(p); err != nil || string(p[:n]) != "later" {
			t.Fatalf("Read after the deadline: %q, %v", p[:n], err)
		}
	})
	t.Run("closed while waiting", func(t *testing.T) {
		a, _ := connPair(t, "unix")
		s := newSpinReader(t, a, time.Millisecond, true)
		time.AfterFunc(20*time.Millisecond, func() { a.Close() })
		if _, err := s.Read(p); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read: %v; want net.ErrClosed", err)
		}
	})
}

// Spinning is used only where it can pay: on a socket, with a budget; in a
// process that may run on one CPU only, the reader yields it instead, where
// it can (Linux).
func TestSpinningWhere(t *testing.T) {
	a, _ := connPair(t, "unix")
	p, _ := conntest.Pipe(t)
	yes := func() bool { return true }
	isSpin := func(nc net.Conn, budget time.Duration) bool {
		s, ok := spinning(nc, budget, yes).(*spinReader)
		return ok && !s.yield
	}
	isYield := func(nc net.Conn, budget time.Duration) bool {
		s, ok := spinning(nc, budget, yes).(*spinReader)
		return ok && s.yield
	}
	if isSpin(p, time.Millisecond) {
		t.Error("a net.Pipe spins")
	}
	if isSpin(a, 0) {
		t.Error("Spin(0) spins")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if isSpin(a, time.Millisecond) {
		t.Error("a process with GOMAXPROCS 1 spins")
	}
	if isYield(a, time.Millisecond) != canYield {
		t.Errorf("a process with GOMAXPROCS 1 yields: %v; want %v", !canYield, canYield)
	}
	if isYield(a, 0) || isYield(p, time.Millisecond) {
		t.Error("Spin(0) or a net.Pipe yields")
	}
	runtime.GOMAXPROCS(2)
	if !isSpin(a, time.Millisecond) {
		t.Error("a Unix socket with a budget and two CPUs does not spin")
	}
}
