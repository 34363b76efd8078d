package uactor_test

// How a call's context crosses processes, end to end: deadlines and cancels
// reach the handler, and on to the calls it makes, each telling its ending
// as it is; abandoned calls leave nothing behind in the actor.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// CtxWatch reports how its handlers' contexts ended.
type CtxWatch struct {
	ended   chan string // how each Wait's context ended, in order
	runs    atomic.Int64
	waiting atomic.Int64 // Waits under way
}

// ctxEnding names how a context ended, as a handler sees it.
func ctxEnding(err error) string {
	switch {
	case err == nil:
		return "not ended"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other: " + err.Error()
}

// Wait waits for its context to end, records how, and returns its error.
// It counts itself out of Waiting before it records, so that a caller
// that has the record sees the next Wait alone.
func (w *CtxWatch) Wait(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	w.waiting.Add(1)
	<-ctx.Done()
	w.waiting.Add(-1)
	select {
	case w.ended <- ctxEnding(ctx.Err()):
	default:
	}
	return uactor.Empty{}, ctx.Err()
}

// Ended returns how the next Wait's context ended, waiting up to d for one
// ("" if none ended by then).
func (w *CtxWatch) Ended(ctx context.Context, d time.Duration) (string, error) {
	select {
	case e := <-w.ended:
		return e, nil
	case <-time.After(d):
		return "", nil
	}
}

// Relay calls Wait on to with its own context.
func (w *CtxWatch) Relay(ctx context.Context, to uactor.Ref[*CtxWatch]) (uactor.Empty, error) {
	return CtxWait.Call(ctx, to, uactor.Empty{})
}

// Late sleeps for d whatever its context does, then answers n: a reply
// that comes after its caller gave up.
func (w *CtxWatch) Late(ctx context.Context, req []int64) (int64, error) {
	time.Sleep(time.Duration(req[0]))
	return req[1], nil
}

// Echo answers n.
func (w *CtxWatch) Echo(ctx context.Context, n int64) (int64, error) {
	w.runs.Add(1)
	return n, nil
}

// Goroutines reports how many goroutines the actor process runs besides
// those that run this call and read its connection, once that has come
// down to at most want or d has passed. A call found running on two of
// the watchdog's looks has the reading handed to a worker (inline.go):
// one that waits here, and, under CPU load, even one that returns at once,
// whose process was not scheduled. So the count leaves out the call's
// goroutines and one reader, wherever each runs; a worker left idle by
// such a hand-over still counts, until it ends (workers.go).
func (w *CtxWatch) Goroutines(ctx context.Context, req []int64) (int, error) {
	want, d := int(req[0]), time.Duration(req[1])
	end := time.Now().Add(d)
	n := othersThanCall()
	for n > want && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
		n = othersThanCall()
	}
	return n, nil
}

// othersThanCall counts the process's goroutines but the caller's, the one
// that runs the call the caller serves (where an interceptor runs the
// handler in a goroutine of its own: aside), and one other goroutine that
// reads a connection (serve), if there is one: the connection's reader if
// the call's goroutine no longer is. A second one still counts.
func othersThanCall() int {
	buf := make([]byte, 1<<16)
	for {
		if n := runtime.Stack(buf, true); n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	gs := strings.Split(strings.TrimSpace(string(buf)), "\n\n")
	// Each begins "goroutine 7 [running]:".
	id := func(g string) string { return strings.Fields(g)[1] }
	own := gs[0] // the caller's: Stack puts it first
	runner := id(own)
	if _, after, ok := strings.Cut(own, "uactor_test.aside in goroutine "); ok {
		runner = strings.Fields(after)[0]
	}
	n, reader := 0, false
	for _, g := range gs[1:] {
		switch {
		case id(g) == runner:
		case !reader && strings.Contains(g, "uactor.(*serverConn).serve("):
			reader = true
		default:
			n++
		}
	}
	return n
}

// Waiting reports how many Waits are under way, once they are at least
// req[0] or req[1] ns have passed.
func (w *CtxWatch) Waiting(ctx context.Context, req []int64) (int64, error) {
	end := time.Now().Add(time.Duration(req[1]))
	for w.waiting.Load() < req[0] && time.Now().Before(end) {
		time.Sleep(time.Millisecond)
	}
	return w.waiting.Load(), nil
}

// Meta returns the metadata its context carries, as key, value, key, value…
func (w *CtxWatch) Meta(ctx context.Context, _ uactor.Empty) ([]string, error) {
	var kv []string
	for k, v := range uactor.AllMetadata(ctx) {
		if got, ok := uactor.MetadataFrom(ctx, k); !ok || got != v {
			return nil, fmt.Errorf("MetadataFrom(%q) = %q, %v; AllMetadata yields %q", k, got, ok, v)
		}
		kv = append(kv, k, v)
	}
	return kv, nil
}

// MetaVia adds added=by the handler to its context's metadata and returns
// the metadata that to receives with a call made with it.
func (w *CtxWatch) MetaVia(ctx context.Context, to uactor.Ref[*CtxWatch]) ([]string, error) {
	return CtxMeta.Call(uactor.WithMetadata(ctx, "added", "by the handler"), to, uactor.Empty{})
}

var (
	CtxWatchKind = uactor.Define("ctxwatch", func(context.Context, uactor.Empty) (*CtxWatch, error) {
		return &CtxWatch{ended: make(chan string, 4096)}, nil
	})
	CtxWait       = uactor.Expose(CtxWatchKind, "wait", (*CtxWatch).Wait)
	CtxEnded      = uactor.Expose(CtxWatchKind, "ended", (*CtxWatch).Ended)
	CtxRelay      = uactor.Expose(CtxWatchKind, "relay", (*CtxWatch).Relay)
	CtxLate       = uactor.Expose(CtxWatchKind, "late", (*CtxWatch).Late)
	CtxEcho       = uactor.Expose(CtxWatchKind, "echo", (*CtxWatch).Echo)
	CtxGoroutines = uactor.Expose(CtxWatchKind, "goroutines", (*CtxWatch).Goroutines)
	CtxWaiting    = uactor.Expose(CtxWatchKind, "waiting", (*CtxWatch).Waiting)
	CtxMeta       = uactor.Expose(CtxWatchKind, "meta", (*CtxWatch).Meta)
	CtxMetaVia    = uactor.Expose(CtxWatchKind, "metavia", (*CtxWatch).MetaVia)
)

// expectEnded checks that the next Wait that ended in w's actor ended as want.
func expectEnded(t *testing.T, ctx context.Context, w uactor.Ref[*CtxWatch], want, what string) {
	t.Helper()
	got, err := CtxEnded.Call(ctx, w, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("%s: the handler's context ended as %q; want %q", what, got, want)
	}
}

// A caller's cancel and a caller's deadline reach the handler in another
// process, and on from it to the handler of the call it makes with its
// context in a third, each telling the ending as it was: the caller gets
// context.Canceled or context.DeadlineExceeded, and so does each handler's
// context. Repeated, since the caller's CANCEL and the actor's own copy of
// the deadline race each other.
func TestCallEndingCrossesProcesses(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	a, b := spawn(t, ctx, CtxWatchKind, uactor.Empty{}), spawn(t, ctx, CtxWatchKind, uactor.Empty{})
	// The handler must have started before the call ends, or the actor
	// drops the call unrun (as it should) and no Wait records anything: a
	// deadline long enough for a loaded machine to start it, and a cancel
	// only once the Wait is under way.
	const deadline = 250 * time.Millisecond
	cancelOnceWaiting := func(w uactor.Ref[*CtxWatch], cancel context.CancelFunc) {
		CtxWaiting.Call(ctx, w, []int64{1, int64(10 * time.Second)})
		cancel()
	}
	for i := range 5 {
		// A deadline: direct, then through a.
		dctx, cancel := context.WithTimeout(ctx, deadline)
		_, err := CtxWait.Call(dctx, a, uactor.Empty{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: a call past its deadline: %v; want context.DeadlineExceeded", i, err)
		}
		expectEnded(t, ctx, a, "deadline", "a call past its deadline")

		dctx, cancel = context.WithTimeout(ctx, deadline)
		_, err = CtxRelay.Call(dctx, a, b)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: a relayed call past its deadline: %v; want context.DeadlineExceeded", i, err)
		}
		expectEnded(t, ctx, b, "deadline", "the nested call of a call past its deadline")

		// A cancel: direct, then through a.
		cctx, cancel := context.WithCancel(ctx)
		go cancelOnceWaiting(a, cancel)
		_, err = CtxWait.Call(cctx, a, uactor.Empty{})
		if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: a cancelled call: %v; want context.Canceled", i, err)
		}
		expectEnded(t, ctx, a, "canceled", "a cancelled call")

		cctx, cancel = context.WithCancel(ctx)
		go cancelOnceWaiting(b, cancel)
		_, err = CtxRelay.Call(cctx, a, b)
		if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("round %d: a cancelled relayed call: %v; want context.Canceled", i, err)
		}
		expectEnded(t, ctx, b, "canceled", "the nested call of a cancelled call")
		if t.Failed() {
			return
		}
	}
}

// A call whose context has ended already fails with the context's error
// and touches nothing on the wire: through a ref with no connection yet (a
// copy received in a message), it starts no dial. The relay in front of
// the actor counts the connections made to it. A deadline that has passed
// counts as ended even before the context's timer fires and closes Done.
func TestEndedContextDialsNothing(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := freePort(t)
	rl := startRelay(t, "tcp://127.0.0.1:"+p, nil)
	r := tcpCounter(t, "tcp://127.0.0.1:"+p, uactor.Advertise("tcp://"+rl.addr()))
	named := copyRef(t, r) // as a process that received it in a message has it
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancel2 := context.WithCancel(ctx)
	cancel2()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"deadline passed", expired, context.DeadlineExceeded},
		{"cancelled", cancelled, context.Canceled},
		{"cancelled, with metadata", uactor.WithMetadata(cancelled, "k", "v"), context.Canceled},
		{"deadline passed, timer not fired", lateCtx{ctx}, context.DeadlineExceeded},
	} {
		if _, err := Add.Call(tc.ctx, named, 1); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
	}
	time.Sleep(200 * time.Millisecond) // for a dial under way to reach the relay
	if n := rl.accepted.Load(); n != 0 {
		t.Errorf("calls whose context had ended made %d connections; want none", n)
	}
	if n, err := Add.Call(ctx, named, 1); err != nil || n != 1 {
		t.Fatalf("a live call afterwards: %d, %v; want the first add", n, err)
	}
}

// lateCtx is a context whose deadline has passed but whose timer has not
// fired: Done is still open and Err still nil, as for a real context in
// the moment between the two.
type lateCtx struct{ context.Context }

func (lateCtx) Deadline() (time.Time, bool) { return time.Now().Add(-time.Second), true }

// A flood of calls given up on (cancelled at once, cancelled as they run,
// or past short deadlines), from many callers on one connection, leaves
// nothing running in the actor: its goroutines come back to where they
// were, and it serves on, the caller's slots all free again (a full
// MaxInFlight of calls goes through at once afterwards).
func TestCancelledCallFloodLeavesNothing(t *testing.T) {
	parallel(t) // most of its time is idle workers timing out
	ctx := testCtx(t, 2*time.Minute)
	const inflight = 64
	w := spawn(t, ctx, CtxWatchKind, uactor.Empty{}, uactor.MaxInFlight(inflight))
	base, err := CtxGoroutines.Call(ctx, w, []int64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			for j := range 25 {
				var cctx context.Context
				var cancel context.CancelFunc
				switch (i + j) % 3 {
				case 0:
					cctx, cancel = context.WithCancel(ctx)
					cancel()
				case 1:
					cctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(time.Duration(rand.IntN(2000))*time.Microsecond, cancel)
				default:
					cctx, cancel = context.WithTimeout(ctx, time.Duration(rand.IntN(2000))*time.Microsecond)
				}
				_, err := CtxWait.Call(cctx, w, uactor.Empty{})
				cancel()
				if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("caller %d: %v; want the context's error", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	backToBase(t, ctx, base, inflight,
		func(want int, d time.Duration) (int, error) {
			return CtxGoroutines.Call(ctx, w, []int64{int64(want), int64(d)})
		},
		func(ctx context.Context) error { _, err := CtxWait.Call(ctx, w, uactor.Empty{}); return err },
		func(n int64) (int64, error) { return CtxWaiting.Call(ctx, w, []int64{n, int64(10 * time.Second)}) })
}

// Handlers that answer after their callers gave up (a deadline, or a
// cancel racing the answer): each late answer is dropped, and the calls
// made meanwhile and after, reusing the given-up calls' slots and ids, each
// get their own answer.
func TestLateAnswersFindNoCaller(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	w := spawn(t, ctx, CtxWatchKind, uactor.Empty{}, uactor.MaxInFlight(8))
	var wg sync.WaitGroup
	var next atomic.Int64
	for i := range 16 {
		wg.Go(func() {
			for j := range 60 {
				n := next.Add(1)
				sleep := int64(time.Duration(rand.IntN(3000)) * time.Microsecond)
				var cctx context.Context
				var cancel context.CancelFunc
				if j%2 == 0 {
					cctx, cancel = context.WithTimeout(ctx, time.Duration(rand.IntN(3000))*time.Microsecond)
				} else {
					cctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(time.Duration(rand.IntN(3000))*time.Microsecond, cancel)
				}
				got, err := CtxLate.Call(cctx, w, []int64{sleep, n})
				cancel()
				switch {
				case err == nil && got != n:
					t.Errorf("caller %d: a late call answered %d; want its own %d", i, got, n)
					return
				case err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
					t.Errorf("caller %d: a late call: %v; want its answer or its context's error", i, err)
					return
				}
				m := next.Add(1)
				if got, err := CtxEcho.Call(ctx, w, m); err != nil || got != m {
					t.Errorf("caller %d: echo %d = %d, %v", i, m, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Metadata crosses as bytes, whatever they are, up to its bound exactly:
// empty keys and values, NUL and invalid UTF-8, many pairs, a key set
// twice (the later value wins), and a handler's additions on top of what
// it received.
func TestMetadataEdges(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	a, b := spawn(t, ctx, CtxWatchKind, uactor.Empty{}), spawn(t, ctx, CtxWatchKind, uactor.Empty{})
	// One pair of len(k)+len(v) bytes, each under 128, costs 2 more on the wire.
	atBound := strings.Repeat("v", uactor.MaxMetadataSize-len("k")-1-2) // the value's length takes two bytes
	many := ctx
	var manyKV []string
	for i := range 500 {
		k, v := fmt.Sprint("k", i), fmt.Sprint(i)
		many = uactor.WithMetadata(many, k, v)
		manyKV = append(manyKV, k, v)
	}
	for _, tc := range []struct {
		name string
		kv   []string // set in this order
		want []string // what the handler finds
	}{
		{"empty key and value", []string{"", ""}, []string{"", ""}},
		{"empty key", []string{"", "v"}, []string{"", "v"}},
		{"odd bytes", []string{"\x00\xff\xfe", "\x00\n\r\x80"}, []string{"\x00\xff\xfe", "\x00\n\r\x80"}},
		{"set twice", []string{"k", "1", "j", "2", "k", "3"}, []string{"j", "2", "k", "3"}},
		{"case differs", []string{"K", "1", "k", "2"}, []string{"K", "1", "k", "2"}},
		{"at the bound", []string{"k", atBound}, []string{"k", atBound}},
	} {
		cctx := ctx
		for i := 0; i < len(tc.kv); i += 2 {
			cctx = uactor.WithMetadata(cctx, tc.kv[i], tc.kv[i+1])
		}
		got, err := CtxMeta.Call(cctx, a, uactor.Empty{})
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: the handler found %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	if got, err := CtxMeta.Call(many, a, uactor.Empty{}); err != nil || !slices.Equal(got, manyKV) {
		t.Errorf("500 pairs: the handler found %d strings, %v; want %d", len(got), err, len(manyKV))
	}
	over := uactor.WithMetadata(ctx, "k", atBound+"v")
	if _, err := CtxMeta.Call(over, a, uactor.Empty{}); !errors.Is(err, uactor.ErrMetadataTooLarge) {
		t.Errorf("a byte over the bound: %v; want ErrMetadataTooLarge", err)
	}
	// On from a handler: what it received, and what it added.
	got, err := CtxMetaVia.Call(uactor.WithMetadata(ctx, "trace", "t1"), a, b)
	if want := []string{"trace", "t1", "added", "by the handler"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("through a handler: %q, %v; want %q", got, err, want)
	}
	// At the bound already, the handler's addition takes it over: its call
	// fails, at the handler, which returns that (an unregistered error: it
	// is the handler's, not the caller's metadata that is too large).
	var re *uactor.RemoteError
	if _, err := CtxMetaVia.Call(uactor.WithMetadata(ctx, "k", atBound), a, b); !errors.As(err, &re) ||
		!strings.Contains(re.Message, "MaxMetadataSize") || errors.Is(err, uactor.ErrMetadataTooLarge) {
		t.Errorf("a handler's addition past the bound: %v; want the handler's RemoteError saying so", err)
	}
}

// aside runs each handler in a goroutine of its own and answers as soon as
// the call's context ends, as a server interceptor that times calls out
// does: the handler runs on after the answer.
func aside(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
	type result struct {
		resp any
		err  error
	}
	done := make(chan result, 1)
	go func() { r, err := handle(ctx, req); done <- result{r, err} }()
	select {
	case r := <-done:
		return r.resp, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var (
	CtxAsideKind = uactor.Define("ctxwatch-aside", func(context.Context, uactor.Empty) (*CtxWatch, error) {
		return &CtxWatch{ended: make(chan string, 4096)}, nil
	}, uactor.ServerInterceptors(aside))
	CtxAsideWait       = uactor.Expose(CtxAsideKind, "wait", (*CtxWatch).Wait)
	CtxAsideEnded      = uactor.Expose(CtxAsideKind, "ended", (*CtxWatch).Ended)
	CtxAsideGoroutines = uactor.Expose(CtxAsideKind, "goroutines", (*CtxWatch).Goroutines)
	CtxAsideWaiting    = uactor.Expose(CtxAsideKind, "waiting", (*CtxWatch).Waiting)
)

// The same flood of given-up calls, to an actor whose server interceptor
// answers each call as its context ends and leaves the handler to return
// on its own: the handlers end, as their contexts have, and nothing stays
// behind; each tells how its context ended as it was.
func TestCancelledCallFloodThroughInterceptor(t *testing.T) {
	parallel(t) // most of its time is idle workers timing out
	ctx := testCtx(t, 2*time.Minute)
	const inflight = 32
	w := spawn(t, ctx, CtxAsideKind, uactor.Empty{}, uactor.MaxInFlight(inflight))
	base, err := CtxAsideGoroutines.Call(ctx, w, []int64{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 40 {
				var cctx context.Context
				var cancel context.CancelFunc
				if (i+j)%2 == 0 {
					cctx, cancel = context.WithCancel(ctx)
					time.AfterFunc(time.Duration(rand.IntN(2000))*time.Microsecond, cancel)
				} else {
					cctx, cancel = context.WithTimeout(ctx, time.Duration(rand.IntN(2000))*time.Microsecond)
				}
				_, err := CtxAsideWait.Call(cctx, w, uactor.Empty{})
				cancel()
				if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("caller %d: %v; want the context's error", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The handlers, answered for already, end on their own, a moment later.
	waiting := int64(1)
	for end := time.Now().Add(10 * time.Second); waiting > 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if waiting, err = CtxAsideWaiting.Call(ctx, w, []int64{0, 0}); err != nil {
			t.Fatal(err)
		}
	}
	if waiting > 0 {
		t.Errorf("%d handlers still waiting 10 s after the flood", waiting)
	}
	backToBase(t, ctx, base, inflight,
		func(want int, d time.Duration) (int, error) {
			return CtxAsideGoroutines.Call(ctx, w, []int64{int64(want), int64(d)})
		},
		func(ctx context.Context) error { _, err := CtxAsideWait.Call(ctx, w, uactor.Empty{}); return err },
		func(n int64) (int64, error) { return CtxAsideWaiting.Call(ctx, w, []int64{n, int64(10 * time.Second)}) })
}

// backToBase checks that an actor a flood of given-up calls reached is
// back where it was: it runs its base number of goroutines again (waited
// for in the actor, with one call: calls made over and over would keep a
// worker busy, one that a hand-over of the reading left behind), and every
// slot is free, as many calls as MaxInFlight allows held in it at once
// (the one that counts them among them).
func backToBase(t *testing.T, ctx context.Context, base, inflight int,
	goroutines func(want int, d time.Duration) (int, error), hold func(context.Context) error, held func(n int64) (int64, error)) {
	t.Helper()
	got, err := goroutines(base, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got > base {
		t.Errorf("the actor runs %d goroutines after the flood; %d before it", got, base)
	}
	all, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, inflight)
	for range inflight - 1 {
		go func() { errs <- hold(all) }()
	}
	if n, err := held(int64(inflight - 1)); err != nil || n != int64(inflight-1) {
		t.Errorf("calls waiting in the actor: %d, %v; want %d", n, err, inflight-1)
	}
	cancel()
	for range inflight - 1 {
		if err := receive(t, errs, 10*time.Second, "a call of the full set"); !errors.Is(err, context.Canceled) {
			t.Fatalf("a call of the full set: %v; want context.Canceled", err)
		}
	}
}
