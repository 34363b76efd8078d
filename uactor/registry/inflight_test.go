package registry_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// A call in flight on an actor that the source has dropped is not cut
// short by the refreshes that follow, however many: it was sent through
// a pool that had not been closed, and its actor still runs. It ends with
// the actor's answer, and the pool's connection to the actor closes then.
func TestRefreshDoesNotCutCallsInFlight(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	held, free := make(chan struct{}, 1), make(chan struct{})
	addrs, _ := hostHolders(t, held, free)
	// First {w0, w1}; then w0 is no longer listed.
	src := &listings{lists: []registry.Addresses{addrs, addrs[1:]}}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hold)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	done := handleAsync(ctx, pool)
	select {
	case <-held: // w0 runs the call (round-robin starts there), and holds it
	case <-ctx.Done():
		t.Fatal("the call did not reach w0")
	}
	for i := range 3 {
		if err := pool.Refresh(ctx); err != nil {
			t.Fatalf("refresh %d: %v", i, err)
		}
	}
	if n := registry.OpenConns(pool); n != 2 {
		t.Errorf("with a call in flight on w0, which the source dropped: %d connections open; want 2", n)
	}
	close(free)
	select {
	case r := <-done:
		if r.err != nil || r.name != "w0" {
			t.Fatalf("the call in flight on w0 while the pool refreshed: %q, %v; want w0's answer", r.name, r.err)
		}
	case <-ctx.Done():
		t.Fatal("the call did not come back")
	}
	if n := registry.OpenConns(pool); n != 1 {
		t.Fatalf("after the call on w0 ended: %d connections open; want 1 (w1's)", n)
	}
	if got, err := pool.Handle(ctx, uactor.Empty{}); err != nil || got != "w1" {
		t.Fatalf("a call after: %q, %v; want w1's answer", got, err)
	}
}

// cycling is a Source that answers each lookup with the next of its lists,
// round and round.
type cycling struct {
	mu    sync.Mutex
	n     int
	lists []registry.Addresses
}

func (s *cycling) Lookup(ctx context.Context) (registry.Addresses, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.lists[s.n%len(s.lists)]
	s.n++
	return a, nil
}

// Calls through a pool that refreshes all the while, its source listing
// a different set of live actors each time, all succeed: no refresh closes
// a connection a call uses. Once they are done, the pool holds open the
// connections its last list names, and none after Close.
func TestRefreshUnderConcurrentCalls(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	refs, _ := hostWorkers(t, 3)
	a, b, c := refs[0].Address(), refs[1].Address(), refs[2].Address()
	src := &cycling{lists: []registry.Addresses{{a, b, c}, {b}, {c, a}, {a}}}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := pool.Handle(ctx, uactor.Empty{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range 41 { // ends on the second list
		if err := pool.Refresh(ctx); err != nil {
			t.Errorf("refresh %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call while the pool refreshed: %v", err)
	}
	if n := registry.OpenConns(pool); n != 1 {
		t.Errorf("with no call in flight, after a refresh that lists one actor: %d connections open; want 1", n)
	}
	pool.Close()
	if n := registry.OpenConns(pool); n != 0 {
		t.Errorf("after Close: %d connections open", n)
	}
}
