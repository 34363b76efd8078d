package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestPeersEcho sends a few echoes through every peer and floor, checking
// that the bytes come back: what CI runs instead of the benchmarks.
func TestPeersEcho(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range append(append([]peer{}, seqPeers...), concPeers...) {
		if seen[p.name] {
			continue
		}
		seen[p.name] = true
		t.Run(p.name, func(t *testing.T) {
			echo := p.start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rng := rand.New(rand.NewPCG(1, 2))
			for _, size := range []int{0, 1, 64, 4 << 10, 1 << 20} {
				req := make([]byte, size)
				for i := range req {
					req[i] = byte(rng.Uint32())
				}
				got, err := echo(ctx, req)
				if err != nil {
					t.Fatalf("%d bytes: %v", size, err)
				}
				if !bytes.Equal(got, req) {
					t.Fatalf("%d bytes: got %d bytes back, not the same", size, len(got))
				}
			}
			if !p.concurrent {
				return
			}
			// Distinct payloads from many goroutines on the one client: each
			// caller must get its own bytes back.
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for g := range 16 {
				wg.Go(func() {
					for i := range 20 {
						req := fmt.Appendf(nil, "caller %d call %d %s", g, i, bytes.Repeat([]byte{'x'}, g*i))
						got, err := echo(ctx, req)
						if err == nil && !bytes.Equal(got, req) {
							err = fmt.Errorf("sent %q, got %q", req, got)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
