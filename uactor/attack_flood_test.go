package uactor_test

// The fault and attack suite (issue 7): a flood of connections, against an
// actor hosted in this process so that the test sees the server's goroutines.

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// peakGoroutines samples runtime.NumGoroutine until stop is called, which
// returns the highest count seen (its own goroutine included).
func peakGoroutines() (stop func() int) {
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() int { close(done); <-finished; return int(peak.Load()) }
}

// waitGoroutines waits up to d for the goroutine count to come down to at
// most n, returning how long it took, or false.
func waitGoroutines(n int, d time.Duration) (time.Duration, bool) {
	start := time.Now()
	for runtime.NumGoroutine() > n {
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start), true
}

// peek tries one read on c without blocking: what it says about the
// connection, "data", "closed" or "" (nothing yet).
func peek(c net.Conn) string {
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return "closed"
	}
	var buf [128]byte
	var n int
	var rerr error
	rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), buf[:])
		return true // never wait
	})
	switch {
	case rerr == syscall.EAGAIN:
		return ""
	case rerr != nil || n == 0:
		return "closed"
	}
	return "data"
}

// 1000 connections at once to an actor that holds at most 100 in their
// handshake: goroutines stay bounded, the excess is closed at once (evicted
// or refused), and a ref's calls are served throughout.
func TestAttackConnectionFlood(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 60*time.Second)
	r, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.MaxHandshakes(100), uactor.HandshakeTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := Add.Call(ctx, r, 0); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	stopSampling := peakGoroutines()
	const ours = 1 + 20 + 1 // the sampler, the dialers, the legitimate caller

	// Legitimate calls through the owner's ref for as long as the flood lasts.
	flooding := make(chan struct{})
	var served, failed atomic.Int64
	var legit sync.WaitGroup
	legit.Go(func() {
		for {
			select {
			case <-flooding:
				return
			default:
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := Add.Call(cctx, r, 1)
			cancel()
			if err != nil {
				failed.Add(1)
				t.Errorf("a legitimate call during the flood: %v", err)
				return
			}
			served.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	})

	path := strings.TrimPrefix(r.Address(), "unix://")
	conns := make([]net.Conn, 1000)
	var dialFailed atomic.Int64
	var dialers sync.WaitGroup
	t0 := time.Now()
	for w := range 20 {
		dialers.Go(func() {
			for i := w; i < len(conns); i += 20 {
				c, err := net.DialTimeout("unix", path, 2*time.Second)
				if err != nil {
					dialFailed.Add(1)
					continue
				}
				conns[i] = c
			}
		})
	}
	dialers.Wait()
	dialTime := time.Since(t0)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})

	// Within 1 s of the flood's start, how many did the actor close (its
	// hello, if any, read and discarded)?
	var refused int
	pending := make([]net.Conn, 0, len(conns))
	for _, c := range conns {
		if c != nil {
			pending = append(pending, c)
		}
	}
	for len(pending) > 0 && time.Since(t0) < time.Second {
		next := pending[:0]
		for _, c := range pending {
			st := peek(c)
			for st == "data" {
				st = peek(c)
			}
			if st == "closed" {
				refused++
			} else {
				next = append(next, c)
			}
		}
		pending = next
		time.Sleep(5 * time.Millisecond)
	}
	admitted := len(pending) // still open: in their handshake
	close(flooding)
	legit.Wait()
	peak := stopSampling()
	t.Logf("dialled 1000 in %v (%d dials failed); within 1 s: %d closed (evicted or refused), %d still in their handshake",
		dialTime, dialFailed.Load(), refused, admitted)
	t.Logf("goroutines: %d before, %d at the peak (%d of them the test's own); %d legitimate calls served during the flood",
		base, peak, ours, served.Load())
	if growth := peak - base - ours; growth >= 400 {
		t.Errorf("goroutines grew by %d under the flood; want well under 1000 (< 400)", growth)
	}
	if admitted > 100 {
		t.Errorf("%d flood connections held in their handshake; the bound is 100", admitted)
	}
	if refused < 900*9/10 {
		t.Errorf("only %d of the 900 excess connections saw EOF within 1 s", refused)
	}
	if served.Load() == 0 || failed.Load() != 0 {
		t.Errorf("legitimate calls during the flood: %d served, %d failed", served.Load(), failed.Load())
	}

	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	if el, ok := waitGoroutines(base+2, 5*time.Second); !ok {
		t.Errorf("goroutines did not come back to %d within 5 s of closing the flood: %d", base, runtime.NumGoroutine())
	} else {
		t.Logf("goroutines back to the baseline %v after the flood closed", el)
	}
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatalf("after the flood: %v", err)
	}
}
