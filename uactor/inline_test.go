package uactor_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
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
