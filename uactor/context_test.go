package uactor_test

// What travels with a call: its deadline and its metadata.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

func near(a, b time.Time, d time.Duration) bool { return a.Sub(b) < d && b.Sub(a) < d }

// The handler's context has the caller's deadline, and none when the caller had none.
func TestDeadlineReachesHandler(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawn(t, ctx, ProbeKind, uactor.Empty{})
	if dl, err := ProbeDeadline.Call(context.Background(), r, uactor.Empty{}); err != nil || !dl.IsZero() {
		t.Fatalf("no deadline: handler saw %v, %v; want none", dl, err)
	}
	want := time.Now().Add(7 * time.Second)
	dctx, cancel := context.WithDeadline(ctx, want)
	defer cancel()
	dl, err := ProbeDeadline.Call(dctx, r, uactor.Empty{})
	if err != nil || !near(dl, want, time.Second) {
		t.Fatalf("handler saw deadline %v, %v; want about %v", dl, err, want)
	}
}

// Metadata and the deadline reach a handler, and flow on from it to the
// calls it makes with its context: caller -> A -> B, three processes.
func TestMetadataAndDeadlineFlowToNestedCalls(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	a, b := spawn(t, ctx, ProbeKind, uactor.Empty{}), spawn(t, ctx, ProbeKind, uactor.Empty{})
	want := time.Now().Add(9 * time.Second)
	cctx, cancel := context.WithDeadline(uactor.WithMetadata(ctx, "trace", "first"), want)
	defer cancel()
	cctx = uactor.WithMetadata(uactor.WithMetadata(cctx, "other", "x"), "trace", "abc-123")
	if v, err := ProbeMeta.Call(cctx, a, "trace"); err != nil || v != "abc-123" {
		t.Fatalf("A saw trace %q, %v; want abc-123 (the later value)", v, err)
	}
	got, err := ProbeRelay.Call(cctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	var v string
	var ns int64
	if _, err := fmt.Sscanf(got, "%s %d", &v, &ns); err != nil || v != "abc-123" || !near(time.Unix(0, ns), want, time.Second) {
		t.Fatalf("B, called by A, saw %q; want trace abc-123 and a deadline near %v", got, want)
	}
	if _, err := ProbeMeta.Call(ctx, a, "trace"); err == nil {
		t.Fatal("a call without metadata: the handler found some")
	}
}

// Metadata over the bound fails at the caller, and nothing reaches the actor.
func TestMetadataOverBoundFailsAtCaller(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawn(t, ctx, ProbeKind, uactor.Empty{})
	big := uactor.WithMetadata(ctx, "big", strings.Repeat("x", uactor.MaxMetadataSize))
	if _, err := ProbePing.Call(big, r, uactor.Empty{}); !errors.Is(err, uactor.ErrMetadataTooLarge) {
		t.Fatalf("err = %v; want ErrMetadataTooLarge", err)
	}
	fits := uactor.WithMetadata(ctx, "big", strings.Repeat("x", uactor.MaxMetadataSize-8))
	if n, err := ProbePing.Call(fits, r, uactor.Empty{}); err != nil || n != 1 {
		t.Fatalf("metadata within the bound: ping = %d, %v; want the first run", n, err)
	}
}

// A call whose metadata is over the bound fails at once through a ref that
// holds no connection yet (a copy, received in a message): it is not sent,
// so there is nothing to dial for. Where the actor lives, no connection is
// made; where nothing listens any more, the call fails with its own error,
// not the dial's, and the ref does not give its actor up over it.
func TestMetadataOverBoundDialsNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alive bool
	}{
		{"actor alive", true},
		{"nothing listens", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r, err := uactor.Host(ctx, CounterKind, &Counter{})
			if err != nil {
				t.Fatalf("Host: %v", err)
			}
			t.Cleanup(func() { r.Close() })
			cp := copyRef(t, r)
			if !tc.alive {
				r.Close()
			}
			big := uactor.WithMetadata(ctx, "big", strings.Repeat("x", uactor.MaxMetadataSize))
			if _, err := Add.Call(big, cp, 1); !errors.Is(err, uactor.ErrMetadataTooLarge) || errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("a call with metadata over the bound through a ref with no connection = %v; want ErrMetadataTooLarge alone", err)
			}
			if n := uactor.Buffered(cp); n != -1 {
				t.Errorf("the ref holds a connection after that call (%d bytes queued); want none dialled", n)
			}
			if isDone(cp) {
				t.Errorf("the ref's Done is closed by that call (%v); want the actor not given up", cp.Err())
			}
			if tc.alive {
				if _, err := Add.Call(ctx, cp, 1); err != nil {
					t.Fatalf("a call within the bound afterwards: %v", err)
				}
			}
		})
	}
}

// A call queued behind a Serial actor's running call, whose deadline passes
// while it waits, is dropped: its handler never runs.
func TestExpiredCallDroppedBehindSerialLock(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := &Probe{started: make(chan struct{}, 1), release: make(chan struct{})}
	r := host(t, ctx, ProbeKind, p, plain(uactor.Serial())...)
	held := make(chan error, 1)
	go func() { _, err := ProbeHold.Call(ctx, r, uactor.Empty{}); held <- err }()
	<-p.started
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := ProbePing.Call(dctx, r, uactor.Empty{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued call: %v; want DeadlineExceeded", err)
	}
	time.Sleep(300 * time.Millisecond) // past the actor's copy of the deadline too
	close(p.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	// The same with a caller that sends no CANCEL when it gives up: the
	// actor's own copy of the deadline drops the call, and says so (code 7).
	p.release = make(chan struct{})
	go func() { _, err := ProbeHold.Call(ctx, r, uactor.Empty{}); held <- err }()
	<-p.started
	c := authenticated(t, r.Address(), plainKey, 0)
	w, rd := frame.NewWriter(c, 0), frame.NewReader(c, 0)
	callCtx := append([]byte{1}, binary.AppendUvarint(nil, uint64(200*time.Millisecond))...)
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, callCtx, []byte("\x04ping"))
	// The pong comes after the actor has read the call, and so set its
	// deadline, 200 ms from then at most: past that, it is over.
	pingPast(t, c, w, rd)
	time.Sleep(250 * time.Millisecond)
	close(p.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	expectExpired(t, c, rd, 1)
	if _, err := ProbeDeadline.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatalf("afterwards: %v", err)
	}
	r.Close() // waits for every call in flight: a queued ping has run or been dropped
	if n := p.runs.Load(); n != 0 {
		t.Fatalf("ping ran %d times; want 0: both deadlines passed in the queue", n)
	}
}

// On the wire: a CALL whose deadline is already over is answered with
// error code 7 and its handler does not run.
func TestExpiredOnArrivalAnsweredNotRun(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r, c := spawnPlain(t, ctx)
	w, rd := frame.NewWriter(c, 0), frame.NewReader(c, 0)
	// flags Deadline, 0 ns left; then "add" and its request.
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x01\x00\x03add"), wire.AppendVarint(nil, 5))
	expectExpired(t, c, rd, 1)
	if n := calls(t, ctx, r); n != 0 {
		t.Fatalf("handlers run = %d; want 0", n)
	}
	// A malformed call context (an unknown flag) drops the peer.
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 2}, []byte("\x80\x03add"), wire.AppendVarint(nil, 5))
	if _, _, err := rd.ReadFrame(); err == nil {
		t.Fatal("a call with an unknown context flag was answered; want the connection closed")
	}
}

// A call that waited at the caller for room in the actor's window carries
// the time its caller has left when it is sent, not when it began: the
// handler's deadline is the caller's. Before, it was later by the whole
// wait.
func TestDeadlineAfterWindowWait(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 30*time.Second)
	p := &Probe{started: make(chan struct{}, 1), release: make(chan struct{})}
	r := host(t, ctx, ProbeKind, p, uactor.ConnBuffer(1))
	held := make(chan error, 1)
	go func() { _, err := ProbeHold.Call(ctx, r, uactor.Empty{}); held <- err }()
	receive(t, p.started, 10*time.Second, "the holding call's start")
	deadlineAfterWait(t, ctx, r, 2*time.Second, "for the window", func() {
		close(p.release)
		receive(t, held, 10*time.Second, "the holding call's end")
	})
}

// deadlineAfterWait makes a call with a deadline through r, which waits at
// the caller until end lets it go, wait later; and fails the test unless
// the handler's deadline is the caller's, give or take half the wait.
func deadlineAfterWait(t *testing.T, ctx context.Context, r uactor.Ref[*Probe], wait time.Duration, where string, end func()) {
	t.Helper()
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	callerDL, _ := dctx.Deadline()
	type result struct {
		dl  time.Time
		err error
	}
	got := make(chan result, 1)
	go func() { dl, err := ProbeDeadline.Call(dctx, r, uactor.Empty{}); got <- result{dl, err} }()
	time.Sleep(wait)
	end()
	res := receive(t, got, 20*time.Second, "the deadline call's answer")
	if res.err != nil {
		t.Fatal(res.err)
	}
	if late := res.dl.Sub(callerDL); late > wait/2 {
		t.Fatalf("the handler's deadline is %v after the caller's, which waited %v %s", late.Round(time.Millisecond), wait, where)
	}
}

// A call that waited at the caller for room below its own ConnBuffer (its
// queue of requests not yet written) carries the time its caller has left
// when it is sent, as one that waited for the actor's window does. Before,
// it was later by the whole wait, and a cancel at the caller's deadline
// ended the handler with context.Canceled, not DeadlineExceeded.
func TestDeadlineAfterQueueWait(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := spawn(t, ctx, ProbeKind, uactor.Empty{}, uactor.AuthKey(probeKey))
	c := connectTo(t, ctx, ProbeKind, r.Address(), probeKey, uactor.ConnBuffer(1<<10))
	if _, err := ProbePing.Call(ctx, c, uactor.Empty{}); err != nil {
		t.Fatal(err)
	}
	stop(t, r.PID())
	// A request far larger than the socket's buffers: its write waits for
	// the stopped actor, and holds the caller's queue over its bound.
	big := make(chan error, 1)
	go func() { _, err := ProbeMeta.Call(ctx, c, strings.Repeat("x", 8<<20)); big <- err }()
	time.Sleep(500 * time.Millisecond)
	deadlineAfterWait(t, ctx, c, 3*time.Second, "in its queue", func() {
		if err := syscall.Kill(r.PID(), syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		receive(t, big, 20*time.Second, "the big call's answer")
	})
}
