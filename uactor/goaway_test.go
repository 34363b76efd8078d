package uactor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// goAwayDial is far longer than any test here waits: a ref that redialled an
// actor gone for good would still be redialling when the test gave up.
const goAwayDial = time.Minute

// goAwayKind is a counter whose refs, decoded ones included, redial for
// goAwayDial before they give their actor up.
var (
	goAwayKind = uactor.Define("goaway-counter", func(context.Context, uactor.Empty) (*Counter, error) {
		return &Counter{}, nil
	}, uactor.DialTimeout(goAwayDial))
	goAwayAdd    = uactor.Expose(goAwayKind, "add", (*Counter).Add)
	goAwayGetPID = uactor.Expose(goAwayKind, "getpid", (*Counter).GetPID)
	goAwayBlock  = uactor.Expose(goAwayKind, "block", (*Counter).Block)
	goAwayCalls  = uactor.Expose(goAwayKind, "calls", (*Counter).Calls)
)

// A TCP actor (or hosted value) whose owner closes it tells the refs
// connected to it that it is gone for good: a call through a copy of its ref,
// or through a ref Connect made, fails with ErrActorDied at once, rather than
// redialling a refused port for its DialTimeout, and the copy's Done closes.
func TestGoAwayEndsRefsToAClosedTCPActor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(t *testing.T, ctx context.Context) uactor.Ref[*Counter]
	}{
		{"spawned", func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
			r, err := uactor.Spawn(ctx, goAwayKind, uactor.Empty{}, uactor.Listen("tcp://127.0.0.1:0"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close(); assertGone(t, r.PID(), time.Second) })
			return r
		}},
		{"spawned on a Unix socket", func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
			r, err := uactor.Spawn(ctx, goAwayKind, uactor.Empty{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close(); assertGone(t, r.PID(), time.Second) })
			return r
		}},
		{"hosted", func(t *testing.T, ctx context.Context) uactor.Ref[*Counter] {
			return host(t, ctx, goAwayKind, &Counter{}, uactor.Listen("tcp://127.0.0.1:0"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := tc.start(t, ctx)
			cp := copyRef(t, r)
			if _, err := goAwayAdd.Call(ctx, cp, 1); err != nil {
				t.Fatalf("through the copy before Close: %v", err)
			}
			r.Close()
			_, err := goAwayAdd.Call(ctx, cp, 1)
			if ctx.Err() != nil {
				t.Fatalf("the call through the copy after Close was still waiting as the test gave up (%v): the ref redials an actor gone for good", err)
			}
			if !errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("the call through the copy after Close = %v; want ErrActorDied", err)
			}
			waitDone(t, cp, 10*time.Second)
			if _, err := goAwayAdd.Call(ctx, cp, 1); !errors.Is(err, uactor.ErrActorDied) || ctx.Err() != nil {
				t.Fatalf("the next call through the copy = %v; want ErrActorDied at once", err)
			}
		})
	}
}

// A ref Connect made to a TCP actor learns it is gone for good when its
// owner closes it, as a copy of its ref does.
func TestGoAwayEndsConnectedRef(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	c := connect(t, ctx, r.Address(), "SECRET", uactor.DialTimeout(goAwayDial))
	if _, err := Add.Call(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	r.Close()
	_, err := Add.Call(ctx, c, 1)
	if ctx.Err() != nil || !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("the connected ref's call after Close = %v (test ctx %v); want ErrActorDied before the test gives up", err, ctx.Err())
	}
}

// GOAWAY follows the answers of the calls that finish within the grace
// period: a call in flight through a copy of the ref as the owner closes the
// actor gets its answer, and only the next call fails.
func TestGoAwayAfterAnswersInGrace(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r, err := uactor.Spawn(ctx, goAwayKind, uactor.Empty{}, uactor.Listen("tcp://127.0.0.1:0"), uactor.GracePeriod(15*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); assertGone(t, r.PID(), time.Second) })
	cp := copyRef(t, r)
	type result struct {
		ok  bool
		err error
	}
	const n = 3
	res := make(chan result, n)
	for range n {
		go func() {
			ok, err := goAwayBlock.Call(ctx, cp, 300*time.Millisecond)
			res <- result{ok, err}
		}()
	}
	for { // until the actor runs them all
		got, err := goAwayCalls.Call(ctx, r, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if got == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	r.Close()
	for range n {
		if got := receive(t, res, 10*time.Second, "the answer of a call in flight"); !got.ok || got.err != nil {
			t.Fatalf("a call in flight as the owner closed the actor = %v, %v; want its answer, true", got.ok, got.err)
		}
	}
	if _, err := goAwayAdd.Call(ctx, cp, 1); !errors.Is(err, uactor.ErrActorDied) || ctx.Err() != nil {
		t.Fatalf("the next call through the copy = %v; want ErrActorDied before the test gives up", err)
	}
}

// A TCP actor that crashes and restarts is no actor gone for good: a copy of
// its ref redials it and reaches its next process.
func TestGoAwayNotSentOnCrash(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r, err := uactor.Spawn(ctx, goAwayKind, uactor.Empty{}, uactor.Listen("tcp://127.0.0.1:0"), uactor.Restart(3, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); assertGone(t, r.PID(), time.Second) })
	cp := copyRef(t, r)
	first, err := goAwayGetPID.Call(ctx, cp, uactor.Empty{})
	if err != nil || first != r.PID() {
		t.Fatalf("through the copy: pid %d, %v; want %d", first, err, r.PID())
	}
	killPID(first)
	for r.PID() == first {
		select {
		case <-ctx.Done():
			t.Fatal("the actor did not restart")
		case <-time.After(time.Millisecond):
		}
	}
	var pid int
	for {
		// The call that meets the dead connection may fail; the ref then
		// redials, and reaches the restarted process.
		pid, err = goAwayGetPID.Call(ctx, cp, uactor.Empty{})
		if err == nil || ctx.Err() != nil || isDone(cp) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || pid != r.PID() {
		t.Fatalf("through the copy after the restart: pid %d, %v (Done closed: %v); want %d", pid, err, isDone(cp), r.PID())
	}
	if pid == first {
		t.Fatalf("the copy reached the killed process %d", first)
	}
}

// A uactor.info CALL that arrives while the actor stops is answered as
// every CALL then is (PROTOCOL.md: ERROR code 4, the actor is stopping),
// not with the actor's info: a Connect that got it would hand out a ref
// to an actor that is going away for good.
func TestInfoWhileStoppingAnsweredClosed(t *testing.T) {
	w, rd := stoppingConn(t)
	if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1 << 20}, []byte("\x00\x0buactor.info")); err != nil {
		t.Fatal(err)
	}
	h, buf, err := rd.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Release()
	if h.Type != frame.TypeError || h.ID != 1<<20 || buf.B[0] != 4 {
		t.Fatalf("the info call while the actor stops: %v %q; want ERROR code 4", h, buf.B)
	}
}

// A CALL of a method the kind lacks, arriving while the actor stops, is
// answered as every CALL then is (PROTOCOL.md: ERROR code 4), not with
// code 3: the caller learns that nothing ran and that it may call
// elsewhere, not that no actor of the kind has the method.
func TestUnknownMethodWhileStoppingAnsweredClosed(t *testing.T) {
	w, rd := stoppingConn(t)
	for i, method := range []string{"no-such-method", ""} {
		id := uint64(1<<20 + i)
		if err := writeCalls(w, id, id, method, nil); err != nil {
			t.Fatal(err)
		}
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if h.Type != frame.TypeError || h.ID != id || buf.B[0] != 4 {
			t.Errorf("a CALL of method %q while the actor stops: %v %q; want ERROR code 4", method, h, buf.B)
		}
		buf.Release()
	}
}

// stoppingConn hosts a counter, opens a plain connection to it, and
// starts closing it, held in its grace period by a blocking call until
// the test ends. It returns once the actor answers a CALL with ERROR code
// 4: it is stopping.
func stoppingConn(t *testing.T) (*frame.Writer, *frame.Reader) {
	t.Helper()
	ctx := testCtx(t, 30*time.Second)
	c := &Counter{release: make(chan struct{})}
	r, conn := hostPlain(t, ctx, CounterKind, c, 0, uactor.GracePeriod(20*time.Second))
	w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
	block := append([]byte("\x00\x05block"), wire.AppendVarint(nil, int64(time.Minute))...)
	if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, block); err != nil {
		t.Fatal(err)
	}
	for c.calls.Load() == 0 { // the call holds the stop in its grace period
		if ctx.Err() != nil {
			t.Fatal("the blocking call never reached its handler")
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	t.Cleanup(func() { close(c.release); receive(t, closed, 10*time.Second, "Close") })
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for id := uint64(2); ; id++ { // until the actor refuses calls: it is stopping
		if err := writeCalls(w, id, id, "add", wire.AppendVarint(nil, 1)); err != nil {
			t.Fatal(err)
		}
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		code := buf.B[0]
		buf.Release()
		if h.Type == frame.TypeError && code == 4 {
			return w, rd
		}
		time.Sleep(time.Millisecond)
	}
}
