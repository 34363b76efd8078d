package uactor_test

// Calls: results, errors, panics, concurrency, cancellation and deadlines.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func TestConcurrentCalls(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := Add.Call(ctx, r, 1); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got, _ := Add.Call(ctx, r, 0); got != n {
		t.Fatalf("count = %d; want %d", got, n)
	}
}

// Calls run concurrently in the actor: a call that blocks, even while it
// runs on the goroutine that read it (a lone call), holds up neither the
// calls behind it on the same connection nor its own cancel.
func TestCallsRunConcurrently(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel() // so that Close need not wait out the grace period
	done := make(chan error, 1)
	go func() { _, err := Block.Call(bctx, r, time.Minute); done <- err }()
	waitCalls(t, ctx, r, 1) // Calls is served behind the blocked call
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("Block returned early: %v", err)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the blocked call, cancelled: %v", err)
	}
	waitCancelled(t, ctx, r)
}

// waitCancelled waits until the counter's Block or Await handler has seen
// its context end.
func waitCancelled(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) {
	t.Helper()
	for {
		was, err := WasCancelled.Call(ctx, r, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if was {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the handler's context was never cancelled")
		}
		time.Sleep(time.Millisecond)
	}
}

// Large responses are handed over without a copy: each stays the caller's,
// whatever the calls after it receive.
func TestLargeResponsesStayTheCallers(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	var got [][]byte
	for i := range 4 {
		req := bytes.Repeat([]byte{byte('a' + i)}, 1<<20+i)
		resp, err := Echo.Call(ctx, r, req)
		if err != nil || !bytes.Equal(resp, req) {
			t.Fatalf("echo %d: %d bytes, %v", i, len(resp), err)
		}
		got = append(got, resp)
	}
	for i, resp := range got {
		if want := bytes.Repeat([]byte{byte('a' + i)}, 1<<20+i); !bytes.Equal(resp, want) {
			t.Fatalf("response %d changed after later calls", i)
		}
	}
}

// Keeper keeps every request it is given, as a handler may.
type Keeper struct {
	mu   sync.Mutex
	kept [][]byte
}

// Keep keeps b and returns its index. It also appends to the request it
// kept before, which is its own to grow: that must not reach b.
func (k *Keeper) Keep(_ context.Context, b []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if n := len(k.kept); n > 0 {
		_ = append(k.kept[n-1], '!', '!')
	}
	k.kept = append(k.kept, b)
	return len(k.kept) - 1, nil
}

// Kept returns the request kept at index i.
func (k *Keeper) Kept(_ context.Context, i int) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if i < 0 || i >= len(k.kept) {
		return nil, fmt.Errorf("no request %d", i)
	}
	return k.kept[i], nil
}

var (
	KeeperKind = uactor.Define("keeper", func(context.Context, uactor.Empty) (*Keeper, error) { return &Keeper{}, nil })
	Keep       = uactor.Expose(KeeperKind, "keep", (*Keeper).Keep)
	Kept       = uactor.Expose(KeeperKind, "kept", (*Keeper).Kept)
)

// What arrives is its receiver's: the handler keeps every request while the
// caller reuses one buffer for all of them, and the caller keeps every
// response while later ones arrive; each side appends to what it kept
// without reaching what came after. Small payloads are read into pooled
// buffers and copied out, and large ones are read into arrays of their
// own; both must hold.
func TestWhatArrivesIsTheReceivers(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawn(t, ctx, KeeperKind, uactor.Empty{})
	sizes := []int{1, 64, 256, 257, 4 << 10, 300 << 10, 64, 1, 1, 300 << 10, 4 << 10, 200}
	payload := func(i, n int) []byte {
		return bytes.Repeat([]byte{byte('a' + i)}, n)
	}
	buf := make([]byte, 300<<10)
	for i, n := range sizes {
		b := buf[:n]
		copy(b, payload(i, n))
		idx, err := Keep.Call(ctx, r, b)
		if err != nil || idx != i {
			t.Fatalf("keep %d: index %d, %v", i, idx, err)
		}
		for j := range b { // the caller reuses its buffer at once
			b[j] = 0xff
		}
	}
	var got [][]byte
	for i, n := range sizes {
		resp, err := Kept.Call(ctx, r, i)
		if err != nil || !bytes.Equal(resp, payload(i, n)) {
			t.Fatalf("request %d (%d bytes) as the handler kept it: %d bytes, %v", i, n, len(resp), err)
		}
		got = append(got, resp)
		if i > 0 {
			_ = append(got[i-1], '!', '!')
		}
	}
	for i, n := range sizes {
		if !bytes.Equal(got[i], payload(i, n)) {
			t.Fatalf("response %d (%d bytes) changed after later calls", i, n)
		}
	}
}

// A 64 B call allocates a fraction of an allocation at both ends together:
// what each end is given and keeps (with []byte, the caller's response and
// the handler's request; with a Lent request, which the handler borrows,
// only the caller's response) is carved from shared blocks, the handler's
// context comes from a block, and the frames from pools. The actor is
// hosted, so that one count holds both ends; the owner's ref of a spawned
// actor, whose calls go through its supervisor, is counted at the caller.
func TestCallAllocations(t *testing.T) {
	if uactor.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it holds")
	}
	ctx := testCtx(t, 20*time.Second)
	r, err := uactor.Host(ctx, CounterKind, &Counter{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	owned := spawnCounter(t, ctx)
	req := make([]byte, 64)
	for _, tc := range []struct {
		name string
		call func() ([]byte, error)
		most float64 // allocations a call, in this process
	}{
		{"hosted/[]byte", func() ([]byte, error) { return Echo.Call(ctx, r, req) }, 0.25},
		{"hosted/Lent", func() ([]byte, error) { return EchoLent.Call(ctx, r, uactor.Lent(req)) }, 0.25},
		{"owner's/[]byte", func() ([]byte, error) { return Echo.Call(ctx, owned, req) }, 0.25},
		{"owner's/Lent", func() ([]byte, error) { return EchoLent.Call(ctx, owned, uactor.Lent(req)) }, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			call := func() {
				if resp, err := tc.call(); err != nil || len(resp) != len(req) {
					t.Fatalf("echo: %d bytes, %v", len(resp), err)
				}
			}
			for range 100 {
				call()
			}
			const calls = 5000
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range calls {
				call()
			}
			runtime.ReadMemStats(&after)
			if per := float64(after.Mallocs-before.Mallocs) / calls; per > tc.most {
				t.Fatalf("%.2f allocations a call in this process; want at most %.2f", per, tc.most)
			}
		})
	}
}

// A handler's error reaches the caller: as a *RemoteError, as the
// registered error it wraps, or as ErrPanic for a recovered panic after
// which the actor serves on, the panic of an error's own Error method
// included.
func TestHandlerErrors(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	var re *uactor.RemoteError
	if _, err := Fail.Call(ctx, r, "disk on fire"); !errors.As(err, &re) || re.Message != "disk on fire" || re.Method != "fail" {
		t.Fatalf("err = %#v; want *RemoteError{fail, disk on fire}", err)
	}
	if _, err := Add.Call(ctx, r, -5); !errors.Is(err, ErrNegative) || !strings.Contains(err.Error(), "add -5") {
		t.Fatalf("err = %v; want ErrNegative with its message", err)
	}
	if _, err := Panic.Call(ctx, r, "boom"); !errors.Is(err, uactor.ErrPanic) || !errors.As(err, &re) || !strings.Contains(re.Message, "boom") {
		t.Fatalf("err = %v; want a recovered panic", err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("after a panic: Add = %d, %v; the actor must keep serving", n, err)
	}
	if _, err := FailNil.Call(ctx, r, uactor.Empty{}); !errors.Is(err, uactor.ErrPanic) || !errors.As(err, &re) || !strings.Contains(re.Message, "nilError") {
		t.Fatalf("err = %v; want a recovered panic that names the error's type", err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 2 {
		t.Fatalf("after an error that panics: Add = %d, %v; the actor must keep serving", n, err)
	}
}

// A handler that ends its goroutine with runtime.Goexit (t.FailNow in a
// hosted test actor, say) instead of returning gets its call an ErrPanic
// answer, and the connection is read on: whether the handler ran on the
// reading goroutine, on one that had handed reading over to a worker, or
// on a worker.
func TestHandlerGoexit(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx)
	var want int64
	for _, tc := range []struct {
		name string
		wait time.Duration
	}{
		{"on the reader", 0},
		{"after reading was handed over", 50 * time.Millisecond},
		{"on a worker", 0}, // the wait before marked the method as one that blocks
		{"on a worker again", 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			var re *uactor.RemoteError
			if _, err := Goexit.Call(cctx, r, tc.wait); !errors.Is(err, uactor.ErrPanic) || !errors.As(err, &re) || !strings.Contains(re.Message, "Goexit") {
				t.Fatalf("err = %v; want ErrPanic naming Goexit", err)
			}
			want++
			if n, err := Add.Call(cctx, r, 1); err != nil || n != want {
				t.Fatalf("after the Goexit: Add = %d, %v; want %d, the actor serving on", n, err, want)
			}
		})
	}
}

func TestCancelReachesHandler(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	cctx, cancel := context.WithCancel(ctx)
	// Cancel once the handler runs: a call cancelled before it reached the
	// actor would never start one.
	before := calls(t, ctx, r)
	blocked := make(chan error, 1)
	go func() { _, err := Block.Call(cctx, r, 30*time.Second); blocked <- err }()
	waitCalls(t, ctx, r, before+1)
	cancel()
	if err := receive(t, blocked, 10*time.Second, "the cancelled call returning"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	waitCancelled(t, ctx, r)
}

// Many callers on one connection: a third block in the actor under a
// context they share, cancelled and replaced every few milliseconds; a
// third echo under short timeouts of their own; a third echo under none.
// Callers that share a context wait on the connection's watch of it rather
// than on its channel, and the read role passes among all three kinds. A
// blocked call must give up when its context ends, not when its handler's
// 20 s are over; every echo must be the caller's own; and the connection
// must serve on afterwards. (follow_internal_test.go tests each wake-up on
// its own: here the read role's hand-offs would cover for a lost one.)
func TestCallsSharingCancelledContexts(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawnCounter(t, ctx)
	var mu sync.Mutex
	shared, cancelShared := context.WithCancel(ctx)
	end := time.Now().Add(5 * time.Second)
	var wg sync.WaitGroup
	wg.Go(func() { // cancels the shared context, and makes the next
		for time.Now().Before(end) {
			time.Sleep(time.Duration(1+rand.IntN(4)) * time.Millisecond)
			mu.Lock()
			cancelShared()
			shared, cancelShared = context.WithCancel(ctx)
			mu.Unlock()
		}
		mu.Lock()
		cancelShared() // the last one too: no call blocks on past the end
		mu.Unlock()
	})
	var answered, gaveUp atomic.Int64
	for i := range 64 {
		wg.Go(func() {
			req := bytes.Repeat([]byte{byte(i)}, 64)
			for time.Now().Before(end) {
				var err error
				switch i % 3 {
				case 0:
					mu.Lock()
					cctx := shared
					mu.Unlock()
					if _, err = Block.Call(cctx, r, 20*time.Second); !errors.Is(err, context.Canceled) {
						t.Errorf("caller %d, blocked under the shared context: %v; want context.Canceled", i, err)
						return
					}
				case 1:
					cctx, cancel := context.WithTimeout(ctx, time.Duration(rand.IntN(2000))*time.Microsecond)
					var resp []byte
					resp, err = Echo.Call(cctx, r, req)
					cancel()
					if err == nil && !bytes.Equal(resp, req) || err != nil && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("caller %d, with a timeout: %x…, %v; want its echo or context.DeadlineExceeded", i, resp[:min(len(resp), 1)], err)
						return
					}
				default:
					resp, err := Echo.Call(ctx, r, req)
					if err != nil || !bytes.Equal(resp, req) {
						t.Errorf("caller %d: %x…, %v; want its echo", i, resp[:min(len(resp), 1)], err)
						return
					}
				}
				if err == nil {
					answered.Add(1)
				} else {
					gaveUp.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if _, err := Echo.Call(ctx, r, []byte("after")); err != nil {
		t.Fatalf("a call after the storm: %v", err)
	}
	t.Logf("%d calls answered, %d given up", answered.Load(), gaveUp.Load())
}

func TestCallDeadline(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := Block.Call(dctx, r, 30*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want DeadlineExceeded", err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("after a deadline: Add = %d, %v", n, err)
	}
}

// A caller whose deadline passes while its request is still being written
// (the actor has stopped, and the socket is full) returns with its
// context's error; the request is finished in the background, whole, so
// once the actor resumes the connection serves on. With WriteTimeout(0) the
// write waits for good, so without that the caller would never return.
func TestCallDeadlineWhileWriting(t *testing.T) {
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		t.Run(listen, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := tcpCounter(t, listen, uactor.WriteTimeout(0))
			via := r
			if listen != "unix" {
				via = connect(t, ctx, r.Address(), "SECRET", uactor.WriteTimeout(0))
			}
			if _, err := Add.Call(ctx, via, 1); err != nil {
				t.Fatal(err)
			}
			stop(t, r.PID())
			big := bytes.Repeat([]byte("request "), 1<<20) // far more than a socket holds
			dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			errs := make(chan error, 1)
			go func() { _, err := Echo.Call(dctx, via, big); errs <- err }()
			if err := receive(t, errs, 10*time.Second, "the call whose deadline passed mid-write returning"); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v; want DeadlineExceeded", err)
			}
			clear(big) // the caller's to reuse once the call returned
			syscall.Kill(r.PID(), syscall.SIGCONT)
			if n, err := Add.Call(ctx, via, 1); err != nil || n != 2 {
				t.Fatalf("after the abandoned write: Add = %d, %v; want 2 on the same connection", n, err)
			}
		})
	}
}

// The actor's process is killed with calls in flight, through the owner's
// ref and through a connected one, on a Unix socket and over TCP: each call
// fails with ErrActorDied, from the broken socket (keepalive, at its 15 s
// default, would take 30 s to give up on the actor: longer than the test's
// 20 s, whose end would fail the calls with its own error instead).
func TestActorKilledMidCall(t *testing.T) {
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		t.Run(listen, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := keyedCounter(t, "SECRET", uactor.Listen(listen))
			remote := connect(t, ctx, r.Address(), "SECRET")
			errs := make(chan error, 4)
			for _, via := range []uactor.Ref[*Counter]{r, r, remote, remote} {
				go func() { _, err := Block.Call(ctx, via, time.Minute); errs <- err }()
			}
			waitCalls(t, ctx, r, 4)
			killPID(r.PID())
			for range 4 {
				if err := <-errs; !errors.Is(err, uactor.ErrActorDied) {
					t.Fatalf("in-flight call when the actor died = %v; want ErrActorDied", err)
				}
			}
		})
	}
}

func TestZeroRefAndZeroMethod(t *testing.T) {
	ctx := testCtx(t, 5*time.Second)
	var r uactor.Ref[*Counter]
	// A zero Ref is what a newcomer calls through when the call runs before
	// Spawn has returned, or after it failed: the error says so.
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrClosed) || !strings.Contains(err.Error(), "Spawn, Connect or Host returned") {
		t.Fatalf("call on a zero Ref = %v; want ErrClosed, saying to use the ref that Spawn, Connect or Host returned", err)
	}
	var m uactor.Method[*Counter, int64, int64]
	if _, err := m.Call(ctx, r, 1); err == nil || !strings.Contains(err.Error(), "package-level var") {
		t.Fatalf("call through a zero Method = %v; want an error saying to Expose it in a package-level var", err)
	}
	if r.Close() != nil || r.PID() != 0 || r.Address() != "" {
		t.Fatal("zero Ref methods")
	}
}

// twinKind's actors are Counters too, and it has an "add" of its own that
// takes and gives a string: a method of one kind that a ref to the other
// could be given, since a Ref's type names only the actor's.
var (
	twinKind = uactor.Define("counter-twin", func(context.Context, uactor.Empty) (*Counter, error) { return &Counter{}, nil })
	twinAdd  = uactor.Expose(twinKind, "add", func(c *Counter, ctx context.Context, s string) (string, error) {
		c.calls.Add(1)
		return s + "!", nil
	})
)

// A method of one kind called through a ref to an actor of another kind
// with the same actor type is refused at the caller, with
// ErrUnknownMethod, and runs nothing: the other kind's method of that name
// takes other types, and would decode the request into garbage.
func TestMethodOfAnotherKind(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	counter := spawnCounter(t, ctx)
	twin := host(t, ctx, twinKind, &Counter{})
	tests := []struct {
		name string
		call func() error
	}{
		{"twin's add on a counter", func() error { _, err := twinAdd.Call(ctx, counter, "\x02"); return err }},
		{"counter's add on a twin", func() error { _, err := Add.Call(ctx, twin, 1); return err }},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, uactor.ErrUnknownMethod) || !strings.Contains(err.Error(), "counter-twin") {
			t.Errorf("%s = %v; want ErrUnknownMethod naming both kinds", tt.name, err)
		}
	}
	expectUntouched(t, ctx, counter)
	if s, err := twinAdd.Call(ctx, twin, "a"); err != nil || s != "a!" {
		t.Fatalf("twin's own add = %q, %v", s, err)
	}
}
