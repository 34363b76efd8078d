package uactor

import (
	"context"
	"errors"
	"testing"
	"time"
)

type unservedCounter struct{}

func (unservedCounter) Add(_ context.Context, d int64) (int64, error) { return d, nil }

// unservedKind's refs redial for far longer than the test waits.
var (
	unservedKind = Define("goaway-unserved", func(context.Context, Empty) (unservedCounter, error) {
		return unservedCounter{}, nil
	}, DialTimeout(time.Minute))
	unservedAdd = Expose(unservedKind, "add", unservedCounter.Add)
)

// A connection whose handshake was done as the actor began to stop for
// good, but which the actor had not begun to serve when it told the others
// GOAWAY, is told too: its client gives the actor up, rather than
// redialling it for DialTimeout.
func TestGoAwayToAConnectionNotYetServed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	owner, err := Host(ctx, unservedKind, unservedCounter{}, Listen("tcp://127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	b, err := owner.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var cp Ref[unservedCounter]
	if err := cp.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Close() })

	reached := make(chan struct{})
	hook := func(s *server) {
		if s.kind.name != unservedKind.Name() {
			return
		}
		close(reached)
		<-s.cut // the stop has told the connections it serves
	}
	testHookServing.Store(&hook)
	t.Cleanup(func() { testHookServing.Store(nil) })

	first := make(chan error, 1)
	go func() { _, err := unservedAdd.Call(ctx, cp, 1); first <- err }()
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatal("the copy's connection was never served")
	}
	closed := make(chan struct{})
	go func() { owner.Close(); close(closed) }()
	if err := <-first; err == nil {
		t.Fatal("the call in flight as the actor stopped succeeded; the actor was stopping")
	}
	<-closed
	cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
	defer ccancel()
	_, err = unservedAdd.Call(cctx, cp, 1)
	if cctx.Err() != nil || !errors.Is(err, ErrActorDied) {
		t.Fatalf("the next call through the copy = %v (its ctx: %v); want ErrActorDied at once: the copy missed GOAWAY and redials", err, cctx.Err())
	}
}
