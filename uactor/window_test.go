package uactor_test

// The actor's request window: at its ConnBuffer bound an actor still reads
// cancels, and callers keep within the bound it announced, so that a
// cancel always reaches a call that holds the bound.

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// boundRefs spawns a counter whose connections hold at most 64 KiB of
// requests, and returns a ref over one connection to it (work: over the
// owner's private connection, or over TCP) and a ref over another (to
// watch it while work's connection is at its bound).
func boundRefs(t *testing.T, ctx context.Context, overTCP bool, more ...uactor.Option) (work, watch uactor.Ref[*Counter]) {
	t.Helper()
	opts := append([]uactor.Option{uactor.ConnBuffer(64 << 10), uactor.AuthKey([]byte("SECRET"))}, more...)
	if overTCP {
		opts = append(opts, uactor.Listen("tcp://127.0.0.1:0"))
	}
	r := spawnCounter(t, ctx, opts...)
	other := connect(t, ctx, r.Address(), "SECRET")
	if overTCP {
		return other, r
	}
	return r, other
}

// holdCalls makes an Await call on work with a request of each size, each
// running until cancel is called, and waits until all run (as watch sees);
// ended gets each call's error.
func holdCalls(t *testing.T, ctx context.Context, work, watch uactor.Ref[*Counter], sizes ...int) (cancel context.CancelFunc, ended <-chan error) {
	t.Helper()
	actx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	errs := make(chan error, len(sizes))
	for _, n := range sizes {
		go func() { _, err := Await.Call(actx, work, make([]byte, n)); errs <- err }()
	}
	waitCalls(t, ctx, watch, int64(len(sizes)))
	return cancel, errs
}

// endHeld cancels the n calls that holdCalls made, and checks that each
// ends with its context's error.
func endHeld(t *testing.T, cancel context.CancelFunc, ended <-chan error, n int) {
	t.Helper()
	cancel()
	for range n {
		if err := receive(t, ended, 10*time.Second, "a cancelled call's end"); !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled call: %v", err)
		}
	}
}

// added is the answer to an Add call.
type added struct {
	n   int64
	err error
}

// addLater calls Add(1) on r in a goroutine of its own.
func addLater(ctx context.Context, r uactor.Ref[*Counter]) <-chan added {
	ch := make(chan added, 1)
	go func() { n, err := Add.Call(ctx, r, 1); ch <- added{n, err} }()
	return ch
}

// A call whose request alone takes its connection past ConnBuffer, and
// whose handler runs until it is cancelled: the actor, which reads no more
// calls there, still reads the CANCEL (a frame with no payload holds
// nothing), so the handler ends and the connection carries calls again.
// Before, the CANCEL waited unread for the call it cancels, for ever.
func TestCancelReadAtBufferBound(t *testing.T) {
	for _, overTCP := range []bool{false, true} {
		t.Run(map[bool]string{false: "owner", true: "tcp"}[overTCP], func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			work, watch := boundRefs(t, ctx, overTCP)
			cancel, ended := holdCalls(t, ctx, work, watch, 128<<10)
			endHeld(t, cancel, ended, 1)
			wctx, stop := context.WithTimeout(ctx, 10*time.Second)
			defer stop()
			waitCancelled(t, wctx, watch)
			if n, err := Add.Call(wctx, work, 1); err != nil || n != 1 {
				t.Fatalf("the next call on the connection: Add = %d, %v", n, err)
			}
		})
	}
}

// The same with another caller on the connection: its call, made while the
// first holds the bound, waits at the caller (the actor announced its
// ConnBuffer in the handshake), so the first one's CANCEL is not stuck
// behind a call that the actor will not read; then the second call runs.
// Before, the second call's frame was sent and read no further than its
// length, and the CANCEL behind it never arrived.
func TestCallWaitsForActorWindow(t *testing.T) {
	for _, overTCP := range []bool{false, true} {
		t.Run(map[bool]string{false: "owner", true: "tcp"}[overTCP], func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			work, watch := boundRefs(t, ctx, overTCP)
			cancel, first := holdCalls(t, ctx, work, watch, 128<<10)
			second := addLater(ctx, work)
			time.Sleep(100 * time.Millisecond) // time to send it, were it sent at once
			endHeld(t, cancel, first, 1)
			wctx, stop := context.WithTimeout(ctx, 10*time.Second)
			defer stop()
			waitCancelled(t, wctx, watch)
			if a := receive(t, second, 10*time.Second, "the second call's answer"); a.err != nil || a.n != 1 {
				t.Fatalf("the second call: Add = %d, %v", a.n, a.err)
			}
		})
	}
}

// The caller lets a call go while the requests outstanding are under the
// actor's window, whatever the call's own size, as the actor reads a call
// while what it holds is under its bound: two calls of 40 KiB run together
// on a connection whose ConnBuffer is 64 KiB. Before, the caller held the
// second back until the first ended, and calls that wait for each other
// could never both run.
func TestWindowAdmitsAsTheActorReads(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	work, watch := boundRefs(t, ctx, false)
	cancel, ended := holdCalls(t, ctx, work, watch, 40<<10, 40<<10)
	endHeld(t, cancel, ended, 2)
}

// A request too large for a frame fails at once with ErrTooLarge, even
// while other calls fill the actor's window: it does not wait for a turn
// it would not use, and calls behind it do not wait for it.
func TestTooLargeRequestSkipsWindow(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	work, watch := boundRefs(t, ctx, false, uactor.MaxFrameSize(64<<10))
	cancel, held := holdCalls(t, ctx, work, watch, 63<<10)
	behind := addLater(ctx, work)
	time.Sleep(50 * time.Millisecond) // waiting for the window
	if _, err := Echo.Call(ctx, work, make([]byte, 100<<10)); !errors.Is(err, uactor.ErrTooLarge) {
		t.Fatalf("a request over MaxFrameSize: %v; want ErrTooLarge", err)
	}
	cancel()
	receive(t, held, 10*time.Second, "the cancelled call's end")
	if r := receive(t, behind, 10*time.Second, "the call that waited for the window"); r.err != nil || r.n != 1 {
		t.Fatalf("the call that waited for the window: Add = %d, %v", r.n, r.err)
	}
}

// Many callers on one connection to an actor with a small ConnBuffer, with
// calls that run until cancelled, calls that end on their own, quick calls
// and echoes of various sizes, most given up at short deadlines: every
// call ends with its answer or its own context's error (none finds the
// connection cut, as a read deadline left behind at the bound would cut
// it), and the connection carries calls afterwards.
func TestWindowUnderMixedCalls(t *testing.T) {
	for _, overTCP := range []bool{false, true} {
		t.Run(map[bool]string{false: "owner", true: "tcp"}[overTCP], func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			work, _ := boundRefs(t, ctx, overTCP, uactor.ConnBuffer(8<<10))
			var wg sync.WaitGroup
			var answered, gaveUp atomic.Int64
			var failed atomic.Value
			for g := range 24 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 60 {
						cctx, stop := context.WithTimeout(ctx, time.Duration(1+(g*13+i*7)%40)*time.Millisecond)
						var err error
						switch (g + i) % 4 {
						case 0:
							_, err = Await.Call(cctx, work, make([]byte, (g*997+i*131)%20000))
						case 1:
							_, err = Block.Call(cctx, work, time.Duration((g+i)%30)*time.Millisecond)
						case 2:
							_, err = Add.Call(cctx, work, 1)
						case 3:
							_, err = Echo.Call(cctx, work, make([]byte, (g*31+i*977)%12000))
						}
						stop()
						switch {
						case err == nil:
							answered.Add(1)
						case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
							gaveUp.Add(1)
						default:
							failed.CompareAndSwap(nil, err)
						}
					}
				}()
			}
			wg.Wait()
			t.Logf("%d calls answered, %d given up", answered.Load(), gaveUp.Load())
			if err := failed.Load(); err != nil {
				t.Fatalf("a call failed other than by its context: %v", err)
			}
			fctx, stop := context.WithTimeout(ctx, 10*time.Second)
			defer stop()
			if n, err := Add.Call(fctx, work, 1); err != nil || n < 1 {
				t.Fatalf("afterwards: Add = %d, %v", n, err)
			}
		})
	}
}
