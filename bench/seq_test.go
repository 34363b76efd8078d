package bench

import (
	"testing"
)

// Sequential round trips, one call in flight, server in a child process
// over a Unix socket: BenchmarkSeq/unix/<size>/<peer>.

var seqSizes = []struct {
	name string
	n    int
}{
	{"64B", 64},
	{"4KiB", 4 << 10},
	{"1MiB", 1 << 20},
}

func BenchmarkSeq(b *testing.B) {
	b.Run("unix", func(b *testing.B) {
		for _, size := range seqSizes {
			b.Run(size.name, func(b *testing.B) {
				for _, p := range seqPeers {
					b.Run(p.name, func(b *testing.B) { benchSeq(b, p, size.n) })
				}
			})
		}
	})
}

// benchSeq runs with b.Loop, so its set-up (a server process, a client,
// a first call that connects) runs once per benchmark, outside the timing.
func benchSeq(b *testing.B, p peer, size int) {
	echo := p.start(b)
	ctx := benchCtx(b)
	req := make([]byte, size)
	for i := range req {
		req[i] = byte(i)
	}
	if _, err := echo(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(2 * size)) // both ways
	b.ReportAllocs()
	for b.Loop() {
		if _, err := echo(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
