package uactor_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// lentPayload is caller w's i-th payload of n bytes: every call's bytes
// differ, so that an array reused too early shows as a wrong byte.
func lentPayload(w, i, n int) []byte {
	b := make([]byte, n)
	for j := range b {
		b[j] = byte(w*131 + i*17 + j%251)
	}
	return b
}

// Lent requests across processes, over the owner's socket, over sealed
// TCP and compressed: callers at once, small and large payloads, every
// response checked and then given back with Recycle. The actor reuses each
// request's array (or pooled frame) once its answer is out, and the caller
// each response's for a later reply; one reused while still being written
// or read shows as a wrong byte.
func TestLentRequests(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	owner := tcpCounter(t, "tcp://127.0.0.1:0")
	zstd := uactor.Compression(4096)
	zowner := tcpCounter(t, "tcp://127.0.0.1:0", zstd)
	for _, tc := range []struct {
		name string
		ref  uactor.Ref[*Counter]
	}{
		{"owner's socket", owner},
		{"sealed tcp", connect(t, ctx, owner.Address(), "SECRET")},
		{"compressed", connect(t, ctx, zowner.Address(), "SECRET", zstd)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sizes := []int{0, 1, 64, 4 << 10, 300 << 10, mib, 64, mib + 3}
			const callers, each = 8, 40
			var wg sync.WaitGroup
			errs := make(chan string, callers)
			for w := range callers {
				wg.Go(func() {
					for i := range each {
						req := lentPayload(w, i, sizes[(w+i)%len(sizes)])
						resp, err := EchoLent.Call(ctx, tc.ref, uactor.Lent(req))
						if err != nil || !bytes.Equal(resp, req) {
							errs <- "a lent echo came back wrong"
							return
						}
						uactor.Recycle(resp)
					}
				})
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Fatal(e)
			}
		})
	}
}

// With Lent requests and recycled responses, calls stop allocating their
// payloads at both ends, large (read into arrays of their own) or not
// (copied out of pooled frames); with []byte, each end allocates one a
// call. The actor is hosted, so that one count holds both ends.
func TestLentRequestsReuseArrays(t *testing.T) {
	if uactor.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it holds")
	}
	ctx := testCtx(t, 30*time.Second)
	r := host(t, ctx, CounterKind, &Counter{})
	for _, tc := range []struct {
		name        string
		size        int
		lent        bool
		least, most uint64 // bytes allocated a call, both ends
	}{
		{"1 MiB lent and recycled", mib, true, 0, mib / 4},
		{"1 MiB []byte", mib, false, 2 * mib, 3 * mib},
		{"4 KiB lent and recycled", 4 << 10, true, 0, 1 << 10},
		{"4 KiB []byte", 4 << 10, false, 8 << 10, 12 << 10},
		// Small payloads are carved from blocks (a piece a call), so it is
		// bytes that tell a borrowed request from a copied one: with Lent,
		// the response's piece and the handler's context's share.
		{"64 B lent", 64, true, 0, 200},
		{"64 B []byte", 64, false, 200, 400}, // and the request's piece
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := lentPayload(1, 2, tc.size)
			call := func() error {
				var resp []byte
				var err error
				if tc.lent {
					resp, err = EchoLent.Call(ctx, r, uactor.Lent(req))
				} else {
					resp, err = Echo.Call(ctx, r, req)
				}
				if err == nil && !bytes.Equal(resp, req) {
					err = errors.New("the echo came back wrong")
				}
				if tc.lent {
					uactor.Recycle(resp)
				}
				return err
			}
			for range 4 {
				call()
			}
			// allocated collects first, which empties the recycled arrays'
			// pools: the count includes refilling them.
			calls := uint64(40)
			if tc.size < mib {
				calls = 4000
			}
			total, _ := allocated(func() {
				for range calls {
					if err := call(); err != nil {
						t.Fatal(err)
					}
				}
			})
			if per := total / calls; per < tc.least || per > tc.most {
				t.Fatalf("%d bytes allocated a call at both ends; want %d to %d", per, tc.least, tc.most)

			}
		})
	}
}
