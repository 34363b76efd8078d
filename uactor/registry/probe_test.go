package registry_test

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// countingListener accepts connections on loopback TCP, closes them, and
// counts them, until the test ends.
func countingListener(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n, stop := countAccepts(ln)
	t.Cleanup(stop)
	return "tcp://" + ln.Addr().String(), n
}

// countAccepts accepts ln's connections, closes them, and counts them,
// until stop closes ln; stop returns once the accepting goroutine has.
func countAccepts(ln net.Listener) (accepted *atomic.Int64, stop func()) {
	accepted = new(atomic.Int64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return accepted, func() {
		ln.Close()
		<-done
	}
}

// Probe, however often it is called, probes no more often than the
// periodic probe does: a key holder cannot make the registry dial what it
// holds again and again, as fast as it can call.
func TestProbeRate(t *testing.T) {
	const (
		every  = 200 * time.Millisecond
		probes = 10
	)
	ctx := testCtx(t, 30*time.Second)
	start := time.Now()
	reg := hostRegistry(t, registry.Config{ProbeInterval: every})
	a, dials := countingListener(t)
	register(t, ctx, reg, a)
	for range probes {
		if _, err := registry.Probe.Call(ctx, reg, uactor.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	// Each probe dials a once; runs start at least every apart, the first
	// at once.
	most := 1 + int64(time.Since(start)/every)
	if n := dials.Load(); n > most {
		t.Fatalf("%d Probe calls (and the periodic probe) dialled the one address %d times in %v; want at most %d, one per %v",
			probes, n, time.Since(start), most, every)
	}
}
