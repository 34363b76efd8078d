package uactor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
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

// HoldLent tells its test it started, waits for a hosted counter's release
// to close, then reports whether the lent bytes it holds are still those it
// was given.
var HoldLent = uactor.Expose(CounterKind, "holdlent", func(c *Counter, ctx context.Context, b uactor.Lent) (int, error) {
	was := bytes.Clone(b)
	holdLentStarted <- struct{}{}
	<-c.release
	holdLentKept <- bytes.Equal(b, was)
	return len(b), nil
})

var (
	holdLentStarted = make(chan struct{}, 1)
	holdLentKept    = make(chan bool, 1)
)

// A server interceptor may run the handler in a goroutine and answer
// without waiting for it, as one that times calls out does. A Lent request
// is the handler's until it returns, so the array it lies in is not reused
// for later calls' requests while the handler still reads it, though its
// call's answer is out.
func TestLentRequestOutlivesAnInterceptorThatAnswersEarly(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	gaveUp := errors.New("gave up on the handler")
	early := func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		if info.Method != HoldLent.Name() {
			return handle(ctx, req)
		}
		go handle(ctx, req)
		<-holdLentStarted // its own deadline fires while the handler runs
		return nil, gaveUp
	}
	for _, size := range []int{4 << 10, mib + 3} { // a pooled frame, an array of its own
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := &Counter{release: make(chan struct{})}
			r := host(t, ctx, CounterKind, c, uactor.ServerInterceptors(early))
			if _, err := HoldLent.Call(ctx, r, uactor.Lent(lentPayload(1, 0, size))); err == nil || !strings.Contains(err.Error(), gaveUp.Error()) {
				t.Fatalf("HoldLent.Call: %v; want the interceptor's %q", err, gaveUp)
			}
			for i := range 8 { // later requests of its size, each into an array the actor has to reuse
				req := lentPayload(2, i+1, size)
				resp, err := EchoLent.Call(ctx, r, uactor.Lent(req))
				if err != nil || !bytes.Equal(resp, req) {
					t.Fatalf("EchoLent.Call: %v, or its echo came back wrong", err)
				}
				uactor.Recycle(resp)
			}
			close(c.release)
			select {
			case kept := <-holdLentKept:
				if !kept {
					t.Fatal("the handler's lent request was overwritten by a later call's while the handler ran")
				}
			case <-ctx.Done():
				t.Fatal("the handler did not report")
			}
		})
	}
}

// A server interceptor that starts the handler of a Lent request only after
// it returned finds the request gone, its array free for other calls: the
// handler does not run, and the interceptor's call of it fails. With the
// call's context, ended with the call, it fails as any late handle does.
func TestLentRequestGoneForAHandlerStartedAfterItsInterceptorReturned(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	late := make(chan func() (any, error), 1)
	ended := make(chan error, 1)
	ic := func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		late <- func() (any, error) { return handle(context.WithoutCancel(ctx), req) }
		context.AfterFunc(ctx, func() { _, err := handle(ctx, req); ended <- err })
		return []byte("answered early"), nil
	}
	r := host(t, ctx, CounterKind, &Counter{}, uactor.ServerInterceptors(ic))
	resp, err := EchoLent.Call(ctx, r, uactor.Lent(lentPayload(1, 0, 4<<10)))
	if err != nil || string(resp) != "answered early" {
		t.Fatalf("EchoLent.Call = %q, %v; want the interceptor's answer", resp, err)
	}
	if err := receive(t, ended, 10*time.Second, "the late handle's error"); !errors.Is(err, context.Canceled) {
		t.Fatalf("handle with the call's context, once the call was over: %v; want context.Canceled", err)
	}
	// Its answer is out, and once the actor has let go of the request (just
	// after it wrote the answer) its array is the actor's again.
	handle := <-late
	for {
		out, err := handle()
		if err != nil && strings.Contains(err.Error(), "Lent request was gone") {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("the handler run after its interceptor returned: %T, %v; want an error saying its Lent request was gone", out, err)
		}
		time.Sleep(time.Millisecond)
	}
}
