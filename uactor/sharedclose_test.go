package uactor_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Closing one of two refs to an actor leaves the other working, and, as
// Close's godoc says, a call in flight through the closed ref runs on to
// its answer where the other ref holds its connection still, and fails
// with ErrClosed where it does not: a Connect ref and a ref decoded from
// it name the actor differently, and do not share one (the godoc once said
// that any two refs to one actor with the same options did). Calls through
// the closed ref fail with ErrClosed afterwards.
func TestCloseOfARefToAnActorOthersReach(t *testing.T) {
	parallel(t) // its time goes in waiting
	for _, tc := range []struct {
		name string
		// two returns the ref to close and another to the same actor.
		two    func(t *testing.T, ctx context.Context, owner uactor.Ref[*Counter]) (closed, other uactor.Ref[*Counter])
		shares bool // the two share a connection
	}{
		{"two Connects", func(t *testing.T, ctx context.Context, owner uactor.Ref[*Counter]) (uactor.Ref[*Counter], uactor.Ref[*Counter]) {
			return connect(t, ctx, owner.Address(), "k"), connect(t, ctx, owner.Address(), "k")
		}, true},
		{"two copies", func(t *testing.T, ctx context.Context, owner uactor.Ref[*Counter]) (uactor.Ref[*Counter], uactor.Ref[*Counter]) {
			return copyRef(t, owner), copyRef(t, owner)
		}, true},
		{"a copy and the owner's ref", func(t *testing.T, ctx context.Context, owner uactor.Ref[*Counter]) (uactor.Ref[*Counter], uactor.Ref[*Counter]) {
			return copyRef(t, owner), owner // the owner's ref holds the copy's connection as its fallback
		}, true},
		{"a Connect and a copy of it", func(t *testing.T, ctx context.Context, owner uactor.Ref[*Counter]) (uactor.Ref[*Counter], uactor.Ref[*Counter]) {
			c := connect(t, ctx, owner.Address(), "k")
			return c, copyRef(t, c) // the copy shares the owner's, not c's
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			owner := keyedCounter(t, "k")
			closed, other := tc.two(t, ctx, owner)
			for _, r := range []uactor.Ref[*Counter]{closed, other} {
				if _, err := Add.Call(ctx, r, 1); err != nil { // each has its connection
					t.Fatal(err)
				}
			}
			// Two calls that the actor holds for a while: the Close comes
			// as they wait for their answers.
			before := calls(t, ctx, owner)
			inClosed, inOther := make(chan error, 1), make(chan error, 1)
			for _, c := range []struct {
				r   uactor.Ref[*Counter]
				res chan error
			}{{closed, inClosed}, {other, inOther}} {
				go func() {
					_, err := Block.Call(ctx, c.r, 2*time.Second)
					c.res <- err
				}()
			}
			waitCalls(t, ctx, owner, before+2)
			closed.Close()
			if _, err := Add.Call(ctx, closed, 1); !errors.Is(err, uactor.ErrClosed) {
				t.Errorf("a call through the closed ref = %v; want ErrClosed", err)
			}
			if _, err := Add.Call(ctx, other, 1); err != nil {
				t.Errorf("a call through the other ref after the Close = %v", err)
			}
			err := receive(t, inClosed, 10*time.Second, "the closed ref's call never returned")
			if tc.shares && err != nil || !tc.shares && !errors.Is(err, uactor.ErrClosed) {
				t.Errorf("a call in flight through the ref as it closed (sharing its connection: %v) = %v; want its answer if sharing, else ErrClosed", tc.shares, err)
			}
			if err := receive(t, inOther, 10*time.Second, "the other ref's call never returned"); err != nil {
				t.Errorf("a call in flight through the other ref as the first closed = %v; want its answer", err)
			}
			if isDone(other) {
				t.Errorf("the other ref's Done closed with the Close: %v", other.Err())
			}
		})
	}
}
