package uactor_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// gate's methods run inline on the goroutine that reads them: slow until
// its channel closes, fast at once, hang until the test ends.
type gate struct {
	slowBegins chan struct{}
	slowDone   chan struct{}
	hangDone   chan struct{}
	hangBegins chan struct{}
}

func (g *gate) Slow(context.Context, uactor.Empty) (uactor.Empty, error) {
	g.slowBegins <- struct{}{}
	<-g.slowDone
	return uactor.Empty{}, nil
}

func (g *gate) Fast(context.Context, uactor.Empty) (uactor.Empty, error) {
	return uactor.Empty{}, nil
}

func (g *gate) Hang(context.Context, uactor.Empty) (uactor.Empty, error) {
	g.hangBegins <- struct{}{}
	<-g.hangDone
	return uactor.Empty{}, nil
}

var (
	gateKind = uactor.Define("inline-gate", func(context.Context, uactor.Empty) (*gate, error) { return &gate{}, nil })
	_        = uactor.Expose(gateKind, "slow", (*gate).Slow)
	_        = uactor.Expose(gateKind, "fast", (*gate).Fast)
	_        = uactor.Expose(gateKind, "hang", (*gate).Hang)
)

// TestInlineRoleNotTakenBack checks that a goroutine whose inline call
// blocked, and lost the read role to a worker meanwhile, does not take the
// role back from a later inline call of that worker when its own call
// ends: the answers that worker holds back behind its call must still go
// out. The hook holds the first goroutine between its call's end and its
// look at the role, where a slow scheduler could leave it. On the way, it
// checks that the calls behind one that blocks inline are read and
// answered.
func TestInlineRoleNotTakenBack(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	uactor.ForgetBlocking(gateKind) // the methods blocked in an earlier run of this test
	g := &gate{slowBegins: make(chan struct{}, 1), slowDone: make(chan struct{}), hangDone: make(chan struct{}), hangBegins: make(chan struct{}, 1)}
	_, c := hostPlain(t, ctx, gateKind, g, 0)
	t.Cleanup(func() { close(g.hangDone) }) // before the actor closes, which would wait for hang
	slowEnded, resume := make(chan struct{}), make(chan struct{})
	uactor.SetInlineRanHook(func(method string) {
		if method == "slow" {
			close(slowEnded)
			<-resume
		}
	})
	t.Cleanup(func() { uactor.SetInlineRanHook(nil) })
	t.Cleanup(func() {
		select {
		case <-resume:
		default:
			close(resume) // the test failed while the hook held slow's goroutine
		}
	})
	w, rd := frame.NewWriter(c, 0), frame.NewReader(c, 0)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	answer := func(want uint64) {
		t.Helper()
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("waiting for the answer to call %d: %v", want, err)
		}
		buf.Release()
		if h.ID != want || h.Type != frame.TypeReply {
			t.Fatalf("got %v %d, want the reply to call %d", h.Type, h.ID, want)
		}
	}
	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		}
	}

	if err := writeCalls(w, 1, 1, "slow", nil); err != nil {
		t.Fatal(err)
	}
	// Alone in the reader's buffer, so that slow's answer is not held back.
	wait(g.slowBegins, "slow's start")
	// Answered while slow still blocks: a worker has the read role.
	if err := writeCalls(w, 2, 2, "fast", nil); err != nil {
		t.Fatal(err)
	}
	answer(2)
	close(g.slowDone)
	wait(slowEnded, "slow's end") // slow's answer is out, and its goroutine not yet looking at the role
	answer(1)

	// In one write, so that the worker reads them together: fast's answer
	// is held back behind hang, which runs inline with a frame behind it
	// that writes nothing.
	var burst bytes.Buffer
	bw := frame.NewWriter(&burst, 0)
	if err := writeCalls(bw, 3, 3, "fast", nil); err != nil {
		t.Fatal(err)
	}
	if err := writeCalls(bw, 4, 4, "hang", nil); err != nil {
		t.Fatal(err)
	}
	if err := bw.WriteFrame(frame.Header{Type: frame.TypeCancel, ID: 99}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(burst.Bytes()); err != nil {
		t.Fatal(err)
	}
	wait(g.hangBegins, "hang's start")
	close(resume)
	answer(3)
}

// An answer held back to go out with the next write leaves before the
// reader waits at ConnBuffer's bound: here behind a call of a method known
// to block, whose request takes the connection past the bound while a
// third call waits unread. Before, the held answer waited for the blocked
// call to end, and a caller waiting on it before ending that call would
// wait for ever.
func TestHeldAnswerLeavesBeforeBoundWait(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	uactor.ForgetBlocking(CounterKind)
	t.Cleanup(func() { uactor.ForgetBlocking(CounterKind) })
	c := &Counter{release: make(chan struct{})}
	_, conn := hostPlain(t, ctx, CounterKind, c, 0, uactor.ConnBuffer(1024), uactor.Keepalive(0))
	t.Cleanup(func() {
		select {
		case <-c.release:
		default:
			close(c.release)
		}
	})
	w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
	call := func(method string, req []byte) []byte {
		return append(append(binary.AppendUvarint([]byte{0}, uint64(len(method))), method...), req...)
	}
	readUntil := func(id uint64) error {
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		defer conn.SetReadDeadline(time.Time{})
		for {
			h, buf, err := rd.ReadFrame()
			if err != nil {
				return err
			}
			buf.Release()
			if h.ID == id {
				return nil
			}
		}
	}
	// Teach the actor that await blocks: a call that outlasts the
	// watchdog's ticks, cancelled once it went to a worker.
	if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, call("await", nil)); err != nil {
		t.Fatal(err)
	}
	for !uactor.KnownToBlock(CounterKind, "await") {
		select {
		case <-ctx.Done():
			t.Fatal("await never went to a worker")
		case <-time.After(time.Millisecond):
		}
	}
	if err := w.WriteFrame(frame.Header{Type: frame.TypeCancel, ID: 1}, nil); err != nil {
		t.Fatal(err)
	}
	if err := readUntil(1); err != nil {
		t.Fatal(err)
	}
	// One write: add (inline, its answer held as a frame follows), await
	// (to a worker; its request is over the bound), add (unread until
	// await ends).
	w.QueueFrame(frame.Header{Type: frame.TypeCall, ID: 2}, call("add", wire.AppendVarint(nil, 1)))
	w.QueueFrame(frame.Header{Type: frame.TypeCall, ID: 3}, call("await", wire.AppendBytes(nil, make([]byte, 2048))))
	if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 4}, call("add", wire.AppendVarint(nil, 1))); err != nil {
		t.Fatal(err)
	}
	if err := readUntil(2); err != nil {
		t.Fatalf("the answer to a call that ran at once waited behind a blocked call: %v", err)
	}
	close(c.release)
	if err := readUntil(4); err != nil {
		t.Fatalf("the calls behind: %v", err)
	}
}
