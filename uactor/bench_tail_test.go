package uactor_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/rawecho"
	"github.com/uactor-go/uactor/uactor"
)

// The tail of a 4 KiB echo, and which side's allocation makes it: each
// sub-benchmark reports the p50, p99 and p99.9 of its calls beside the raw
// floor's. A []byte that arrives is its receiver's to keep, so a plain call
// allocates 4 KiB in the actor (the request) and in the caller (the
// response); Lent and Recycle take either away. "raw owning" is the raw
// floor with both ends allocating likewise. Run enough calls for a
// p99.9 to mean something, pinned for the same-core placement:
//
//	taskset -c 0 go test -run '^$' -bench CallUnix4KiBTail -benchtime 30000x ./uactor
func BenchmarkCallUnix4KiBTail(b *testing.B) {
	const size = 4 << 10
	for _, c := range []struct {
		name   string
		owning bool // both ends allocate each message, as "both allocate" below
	}{{"raw", false}, {"raw owning", true}} {
		b.Run(c.name, func(b *testing.B) {
			call := rawecho.Caller(startRawEcho(b, "unix", c.owning), size, c.owning)
			b.ReportAllocs()
			reportTail(b, func() {
				if err := call(); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
	for _, c := range []struct {
		name                  string
		lend, recycleResponse bool
	}{
		{"both allocate", false, false},
		{"actor allocates", false, true},  // its request, kept; the caller recycles the response
		{"caller allocates", true, false}, // a lent request; the caller keeps the response
		{"neither allocates", true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			r, err := uactor.Spawn(sctx, CounterKind, 0)
			cancel() // before the calls: see benchCallCtx
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			req := make([]byte, size)
			call := func() ([]byte, error) { return Echo.Call(ctx, r, req) }
			if c.lend {
				call = func() ([]byte, error) { return EchoLent.Call(ctx, r, uactor.Lent(req)) }
			}
			b.ReportAllocs()
			reportTail(b, func() {
				resp, err := call()
				if err != nil {
					b.Fatal(err)
				}
				if c.recycleResponse {
					uactor.Recycle(resp)
				}
			})
		})
	}
}

// reportTail times b.N runs of call and reports their p50, p99 and p99.9
// in µs.
func reportTail(b *testing.B, call func()) {
	call()                             // the connection warm
	took := make([]time.Duration, b.N) // made before the timing, so that it counts no allocation
	b.ResetTimer()
	for i := range took {
		t0 := time.Now()
		call()
		took[i] = time.Since(t0)
	}
	b.StopTimer()
	slices.Sort(took)
	for _, q := range []struct {
		unit string
		at   float64
	}{{"p50-µs", 0.5}, {"p99-µs", 0.99}, {"p99.9-µs", 0.999}} {
		b.ReportMetric(float64(took[int(q.at*float64(len(took)-1))])/float64(time.Microsecond), q.unit)
	}
}
