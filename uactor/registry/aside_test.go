package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// leftAside is how long a pool leaves aside an actor it could not reach.
const leftAside = time.Second

// An actor that a pool left aside (here: it refused a call as busy) stays
// aside for its second, whether or not the pool refreshes meanwhile: a
// refresh that lists it again is no news that it can take calls, and must
// not send the next call straight back to it.
func TestRefreshKeepsActorsLeftAside(t *testing.T) {
	for _, refresh := range []bool{false, true} {
		name := map[bool]string{false: "no refresh", true: "refresh"}[refresh]
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			// A few tries: one whose steps outlast the second tells nothing.
			for try := 0; ; try++ {
				got, quick := callAfterBusy(t, ctx, refresh)
				if !quick {
					if try == 4 {
						t.Skip("no try ran its calls within the second an actor is left aside")
					}
					continue
				}
				if got != "w0" {
					t.Fatalf("the call after the busy actor was left aside went to %q; want w0, the other actor", got)
				}
				return
			}
		})
	}
}

// callAfterBusy makes a pool over a busy actor and a free one (w0), calls
// it once (the busy actor refuses, and w0 answers), frees the busy actor,
// refreshes the pool if refresh is set, and calls it again: it returns who
// answered the second call, and whether both calls came within the time
// the busy actor is left aside.
func callAfterBusy(t *testing.T, ctx context.Context, refresh bool) (string, bool) {
	t.Helper()
	busy := &worker{name: "busy", held: make(chan struct{}, 1)}
	bref, err := uactor.Host(ctx, workerKind, busy, uactor.AuthKey(testKey), uactor.MaxInFlight(1))
	if err != nil {
		t.Fatal(err)
	}
	defer bref.Close()
	free, _ := hostWorkers(t, 1)
	defer free[0].Close()
	// The pool's Connect shares this ref's connection, which the held call fills.
	r, err := uactor.Connect(ctx, workerKind, bref.Address(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hctx, release := context.WithCancel(ctx)
	defer release()
	held := make(chan error, 1)
	go func() {
		_, err := hold.Call(hctx, r, uactor.Empty{})
		held <- err
	}()
	<-busy.held
	src := &listings{lists: []registry.Addresses{{bref.Address(), free[0].Address()}}}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	start := time.Now()
	if got, err := pool.Handle(ctx, uactor.Empty{}); err != nil || got != "w0" {
		t.Fatalf("the first call, with one actor busy: %q, %v; want w0's answer", got, err)
	}
	release()
	<-held
	// The busy actor is free again once it takes a call of this ref's.
	for {
		if _, err := hit.Call(ctx, r, uactor.Empty{}); err == nil {
			break
		} else if !errors.Is(err, uactor.ErrBusy) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	if refresh {
		if err := pool.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, err := pool.Handle(ctx, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	return got, time.Since(start) < leftAside/2
}
