package uactor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Lingerer's Hold borrows its request and returns only once released,
// whatever its context says: a handler that an interceptor answered for
// and left running.
type Lingerer struct{ started, release chan struct{} }

func (l *Lingerer) Hold(ctx context.Context, _ uactor.Lent) (uactor.Empty, error) {
	close(l.started)
	<-l.release
	return uactor.Empty{}, nil
}

func (l *Lingerer) Quick(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	return uactor.Empty{}, nil
}

var (
	LingerKind = uactor.Define("linger", func(context.Context, uactor.Empty) (*Lingerer, error) {
		return nil, errors.New("hosted only")
	})
	LingerHold  = uactor.Expose(LingerKind, "hold", (*Lingerer).Hold)
	LingerQuick = uactor.Expose(LingerKind, "quick", (*Lingerer).Quick)
)

// A Lent request whose handler runs on after its interceptor answered
// counts in ConnBuffer until the handler returns, though its caller, which
// has its answer, counts it no more: at the bound, a call behind it waits
// for the handler (PROTOCOL.md, "Connections and limits"), and goes once
// the handler returns.
func TestLentHandlerLeftRunningHoldsConnBuffer(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	l := &Lingerer{started: make(chan struct{}), release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(l.release)
		}
	}
	t.Cleanup(release)
	answerAtOnce := func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		if info.Method != LingerHold.Name() {
			return handle(ctx, req)
		}
		go handle(ctx, req)
		<-l.started // the handler has the request: it counts until it returns
		return uactor.Empty{}, nil
	}
	const bound = 64 << 10
	r := host(t, ctx, LingerKind, l, uactor.ConnBuffer(bound), uactor.ServerInterceptors(answerAtOnce))
	if _, err := LingerHold.Call(ctx, r, make(uactor.Lent, bound)); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() { _, err := LingerQuick.Call(ctx, r, uactor.Empty{}); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("a call behind a Lent request of the whole ConnBuffer, its handler still running, was answered (%v)", err)
	case <-time.After(500 * time.Millisecond):
	}
	release()
	if err := receive(t, done, 20*time.Second, "the call behind the handler, once it returned"); err != nil {
		t.Fatal(err)
	}
}
