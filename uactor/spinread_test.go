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

// writeAfterLook writes p to c d after s's next read first looks at its
// socket, however late that read starts.
func writeAfterLook(t *testing.T, s *spinReader, c net.Conn, d time.Duration, p []byte) {
	started := false
	s.try = func(fd uintptr) bool {
		if !started {
			started = true
			writeAfter(t, c, d, p)
		}
		return s.attempt(fd)
	}
}

// A spinning read returns what the peer sent whether it was there already,
// came during the spin, or came after it; and it keeps the adaptive
// back-off: a spin that ran out makes the next reads park at once, one
// that paid resets it, and a read with nothing due does not count. In a
// bulk transfer (after one, or into a large body) a read neither spins nor
// yields but waits in the kernel, where it can, and then parks; one that
// would yield (one CPU) parks at once. Neither counts.
func TestSpinReaderReads(t *testing.T) {
	bulkWaited := notDue // where a bulk wait ends
	if canWaitInKernel {
		bulkWaited = waited
	}
	const ms20 = 20 * time.Millisecond
	cases := []struct {
		name      string
		budget    time.Duration
		yield     bool
		due       bool
		delay     time.Duration // before the peer writes; <0: written before the read
		got       int           // bytes read since the last wait, before the read
		size      int           // of the read's buffer
		wait      time.Duration // the bound on a wait in the kernel
		back      int           // the back-off before the read
		skip      int           // the reader's skip after it
		backAfter int           // and its back-off
		state     spinState     // where the read ended
	}{
		{"there already", time.Millisecond, false, true, -1, 0, 64, 0, 4, 0, 4, firstTry},
		{"came during the spin", time.Minute, false, true, ms20, 0, 64, 0, 8, 0, 1, retrying},
		{"came after the spin", time.Microsecond, false, true, ms20, 0, 64, 0, 4, 4, 8, ranOut},
		{"back-off capped", time.Microsecond, false, true, ms20, 0, 64, 0, maxSpinSkip, maxSpinSkip, maxSpinSkip, ranOut},
		{"nothing due", time.Minute, false, false, ms20, 0, 64, 0, 4, 0, 4, notDue},
		{"yield, there already", time.Minute, true, true, -1, 0, 64, 0, 4, 0, 4, firstTry},
		{"came after the yield", time.Minute, true, true, ms20, 0, 64, 0, 4, 4, 8, ranOut},
		{"yield, nothing due", time.Minute, true, false, ms20, 0, 64, 0, 4, 0, 4, notDue},
		{"after a bulk transfer, came during the wait", time.Minute, false, true, ms20, bulk + 1, 64, time.Minute, 4, 0, 4, bulkWaited},
		{"after a bulk transfer, came after the wait", time.Minute, false, true, ms20, bulk + 1, 64, time.Millisecond, 4, 0, 4, bulkWaited},
		{"yield, after a bulk transfer", time.Minute, true, true, ms20, bulk + 1, 64, time.Minute, 4, 0, 4, notDue},
		{"large body, there already", time.Minute, false, false, -1, 0, bulk + 1, time.Minute, 4, 0, 4, firstTry},
		{"large body, came during the wait", time.Minute, false, false, ms20, 0, bulk + 1, time.Minute, 4, 0, 4, bulkWaited},
		{"large body, came after the wait", time.Minute, false, false, ms20, 0, bulk + 1, time.Millisecond, 4, 0, 4, bulkWaited},
		{"yield, large body", time.Minute, true, false, ms20, 0, bulk + 1, time.Minute, 4, 0, 4, notDue},
		{"small body", time.Minute, false, false, ms20, 0, bulk, time.Minute, 4, 0, 4, notDue},
	}
	for _, network := range []string{"unix", "tcp"} {
		for _, c := range cases {
			t.Run(network+"/"+c.name, func(t *testing.T) {
				a, b := connPair(t, network)
				s := newYieldingReader(t, a, c.budget, c.due, c.yield)
				s.back, s.got, s.wait = c.back, c.got, c.wait
				msg := []byte("reply")
				if c.delay < 0 {
					b.Write(msg)
				} else {
					writeAfterLook(t, s, b, c.delay, msg)
				}
				a.SetReadDeadline(time.Now().Add(time.Minute))
				p := make([]byte, c.size)
				n, err := s.Read(p)
				if err != nil || string(p[:n]) != "reply" {
					t.Fatalf("Read: %q, %v; want %q", p[:n], err, msg)
				}
				if s.skip != c.skip || s.back != c.backAfter {
					t.Errorf("after the read: skip %d, back %d; want %d, %d", s.skip, s.back, c.skip, c.backAfter)
				}
				if s.state != c.state {
					t.Errorf("the read ended in state %d; want %d", s.state, c.state)
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
	// A read into a large body (inside a frame, so nothing is due) never
	// spins, so it neither skips nor counts.
	s.skip, s.wait, s.when = 2, time.Minute, func() bool { return false }
	writeAfterLook(t, s, b, 10*time.Millisecond, []byte{9})
	if n, err := s.Read(make([]byte, bulk+1)); err != nil || n != 1 {
		t.Fatalf("large read: %d bytes, %v", n, err)
	}
	if s.skip != 2 || canWaitInKernel && s.state != waited {
		t.Fatalf("large read while skipping: skip %d, state %d; want 2, waited in the kernel", s.skip, s.state)
	}
}

// A read ends as net.Conn's would: EOF when the peer closes, the deadline's
// error (after which reading goes on), the closed connection's; whether it
// spins or waits in the kernel for a bulk transfer (there the deadline or
// the close takes effect when the wait ends).
func TestSpinReaderEnds(t *testing.T) {
	for _, mode := range []struct {
		name string
		due  bool
		size int
	}{{"spinning", true, 8}, {"bulk wait", false, bulk + 1}} {
		p := make([]byte, mode.size)
		reader := func(t *testing.T, nc net.Conn) *spinReader {
			s := newSpinReader(t, nc, 5*time.Millisecond, mode.due)
			s.wait = 50 * time.Millisecond
			return s
		}
		t.Run(mode.name+"/peer closes", func(t *testing.T) {
			a, b := connPair(t, "unix")
			s := reader(t, a)
			time.AfterFunc(10*time.Millisecond, func() { b.Close() })
			if _, err := s.Read(p); err != io.EOF {
				t.Fatalf("Read: %v; want io.EOF", err)
			}
		})
		t.Run(mode.name+"/peer resets", func(t *testing.T) {
			a, b := connPair(t, "tcp")
			s := reader(t, a)
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
		t.Run(mode.name+"/deadline passes", func(t *testing.T) {
			a, b := connPair(t, "unix")
			s := reader(t, a)
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
		t.Run(mode.name+"/closed while waiting", func(t *testing.T) {
			a, _ := connPair(t, "unix")
			s := reader(t, a)
			time.AfterFunc(20*time.Millisecond, func() { a.Close() })
			if _, err := s.Read(p); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Read: %v; want net.ErrClosed", err)
			}
		})
	}
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
