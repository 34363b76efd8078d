package bench

import (
	"runtime"
	"testing"
	"time"
)

// Throughput with 64 concurrent callers of 64-byte echoes on ONE client
// (one connection): BenchmarkConc64/<peer>, reported as calls/s. The floor,
// rawmux, is the least a multiplexed client and server can do (see raw_test.go).

const concCallers = 64

func BenchmarkConc64(b *testing.B) {
	for _, p := range concPeers {
		b.Run(p.name, func(b *testing.B) { benchConc(b, p) })
	}
}

// benchConc is called once per b.N that the framework tries (RunParallel
// cannot use b.Loop), each time with a fresh server and client.
func benchConc(b *testing.B, p peer) {
	echo := p.start(b)
	ctx := benchCtx(b)
	req := make([]byte, 64)
	if _, err := echo(ctx, req); err != nil {
		b.Fatal(err)
	}
	// RunParallel starts parallelism × GOMAXPROCS goroutines: 64 of them
	// whether GOMAXPROCS is 2 (free) or 1 (taskset -c 0).
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((concCallers + procs - 1) / procs)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := echo(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
}
