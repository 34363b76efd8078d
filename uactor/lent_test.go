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

// With Lent requests and recycled responses, large calls stop allocating
// their payloads at both ends (the actor is hosted, so that one count holds
// both); with []byte, each end allocates one a call.
func TestLentRequestsReuseArrays(t *testing.T) {
	if uactor.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it holds")
	}
	ctx := testCtx(t, 30*time.Second)
	r := host(t, ctx, CounterKind, &Counter{})
	req := lentPayload(1, 2, mib)
	check := func(resp []byte, err error) error {
		if err == nil && !bytes.Equal(resp, req) {
			err = errors.New("the echo came back wrong")
		}
		return err
	}
	for _, tc := range []struct {
		name        string
		call        func() error
		least, most uint64 // bytes allocated a call, both ends
	}{
		{"lent and recycled", func() error {
			resp, err := EchoLent.Call(ctx, r, uactor.Lent(req))
			err = check(resp, err)
			uactor.Recycle(resp)
			return err
		}, 0, mib / 4},
		{"[]byte", func() error { return check(Echo.Call(ctx, r, req)) }, 2 * mib, 3 * mib},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 4 {
				tc.call()
			}
			// allocated collects first, which empties the recycled arrays'
			// pools: the count includes refilling them (2 MiB or so).
			const calls = 40
			total, _ := allocated(func() {
				for range calls {
					if err := tc.call(); err != nil {
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
