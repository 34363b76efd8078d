package uactor_test

// Floods of connections and handshakes, against actors hosted in this
// process so that the tests see the server's goroutines.

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

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

// raiseFileLimit lifts this process's soft descriptor limit to at least n
// (within the hard limit), restoring it when the test ends.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if uint64(old.Cur) >= n {
		return
	}
	if uint64(old.Max) < n {
		t.Skipf("the hard descriptor limit is %d; this test needs %d", old.Max, n)
	}
	raised := old
	setLimit(&raised.Cur, n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// setLimit sets an Rlimit field, whose type is int64 on some systems
// (FreeBSD) and uint64 on others.
func setLimit[T int64 | uint64](f *T, n uint64) { *f = T(n) }

// 1000 connections at once to an actor that holds at most 100 in their
// handshake: goroutines stay bounded by twice that, the excess is closed
// (evicted or refused: with the handshake's deadline an hour away, nothing
// else closes them), and a ref's calls are served throughout.
func TestAttackConnectionFlood(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := host(t, ctx, CounterKind, &Counter{}, uactor.MaxHandshakes(100), uactor.HandshakeTimeout(time.Hour))
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

	// How many does the actor close (its hello, if any, read and
	// discarded)? All but the 100 it may hold, unless it fails to bound them:
	// then the wait ends at its 20 s guard. The flood lasts at least until a
	// legitimate call has been served through it.
	var refused int
	pending := make([]net.Conn, 0, len(conns))
	for _, c := range conns {
		if c != nil {
			pending = append(pending, c)
		}
	}
	for (len(pending) > 100 || served.Load()+failed.Load() == 0) && time.Since(t0) < 20*time.Second {
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
	t.Logf("dialled 1000 in %v (%d dials failed); %d closed (evicted or refused) after %v, %d still in their handshake",
		dialTime, dialFailed.Load(), refused, time.Since(t0).Round(time.Millisecond), admitted)
	t.Logf("goroutines: %d before, %d at the peak (%d of them the test's own); %d legitimate calls served during the flood",
		base, peak, ours, served.Load())
	// Handshake goroutines, evicted ones still ending included, are at most
	// twice MaxHandshakes; the rest is the actor's own.
	if growth := peak - base - ours; growth >= 2*100+50 {
		t.Errorf("goroutines grew by %d under the flood; want them bounded by twice MaxHandshakes (200) plus 50", growth)
	}
	if admitted > 100 {
		t.Errorf("%d flood connections held in their handshake; the bound is 100", admitted)
	}
	if refused < 900*9/10 {
		t.Errorf("only %d of the 900 excess connections were closed", refused)
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

// 1,100 connections that never say a word (or only the first byte of a
// hello, which gets them past the kernel's deferred accept), re-dialled as
// soon as the actor drops them: they hold no slot a key holder needs, and
// nearly every Connect-plus-call made meanwhile succeeds.
func TestAttackSilentHandshakeFlood(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first []byte
	}{{"silent", nil}, {"one byte", []byte("u")}} {
		t.Run(tc.name, func(t *testing.T) { handshakeFlood(t, tc.first) })
	}
}

func handshakeFlood(t *testing.T, first []byte) {
	checkGoroutines(t)
	raiseFileLimit(t, 8192)
	ctx := testCtx(t, 90*time.Second)
	key := []byte("flood key")
	r, addr := hostTCP(t, ctx, key)

	dials := hammer(t, 1100, addr, func(c net.Conn, stopped func() bool) {
		c.Write(first)
		// Silent until the actor drops us.
		buf := make([]byte, 128)
		for !stopped() {
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, err := c.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
		}
	})
	time.Sleep(time.Second) // let the flood fill whatever it can

	const attempts = 20
	var ok int
	start := time.Now()
	for range attempts {
		if err := connectAndCall(ctx, r.Address(), key); err == nil {
			ok++
		} else {
			t.Logf("a legitimate attempt failed: %v", err)
		}
	}
	t.Logf("%d of %d Connect-plus-call attempts succeeded in %v, while 1100 silent connections re-dialled (%d dials)",
		ok, attempts, time.Since(start).Round(time.Millisecond), dials.Load())
	if ok < attempts*9/10 {
		t.Errorf("%d of %d legitimate attempts succeeded; want at least 90%%", ok, attempts)
	}
}
