package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// hostWorkers serves n workers named w0… in this process, with testKey.
func hostWorkers(t *testing.T, n int) ([]uactor.Ref[*worker], []*worker) {
	t.Helper()
	ctx := testCtx(t, time.Minute)
	refs := make([]uactor.Ref[*worker], n)
	ws := make([]*worker, n)
	for i := range refs {
		ws[i] = &worker{name: fmt.Sprintf("w%d", i)}
		r, err := uactor.Host(ctx, workerKind, ws[i], uactor.AuthKey(testKey))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		refs[i] = r
	}
	return refs, ws
}

func calls(t *testing.T, h uactor.Handler[uactor.Empty, string], n int) []string {
	t.Helper()
	ctx := testCtx(t, 20*time.Second)
	var got []string
	for range n {
		name, err := h.Handle(ctx, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
	}
	return got
}

// A pool spreads calls round-robin.
func TestPoolRoundRobin(t *testing.T) {
	refs, _ := hostWorkers(t, 3)
	got := calls(t, registry.Pool(hit, refs...), 7)
	if want := []string{"w0", "w1", "w2", "w0", "w1", "w2", "w0"}; !slices.Equal(got, want) {
		t.Fatalf("calls went to %v, want %v", got, want)
	}
}

// A pool skips a ref it cannot reach: a closed one, or one whose actor died.
func TestPoolSkipsDeadRef(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	hosted, _ := hostWorkers(t, 2)
	spawned := spawnWorkers(t, ctx, 2) // w0, w1 in processes of their own
	kill(t, spawned[0])                // never called: the pool's first call finds it gone
	hosted[1].Close()
	refs := []uactor.Ref[*worker]{hosted[0], spawned[0], hosted[1], spawned[1]}
	got := calls(t, registry.Pool(hit, refs...), 6)
	if want := []string{"w0", "w1", "w0", "w1", "w0", "w1"}; !slices.Equal(got, want) {
		t.Fatalf("calls went to %v, want %v", got, want)
	}
}

// A pool skips a ref whose actor is gone for good for it (its keepalive
// found the actor silent): such a ref fails its calls before sending them.
func TestPoolSkipsRefGoneSilent(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ws := spawnWorkers(t, ctx, 2)
	refs := make([]uactor.Ref[*worker], 2)
	for i, w := range ws {
		var opts []uactor.Option
		if i == 0 { // only the ref to the actor that stops needs to find it silent soon
			opts = append(opts, uactor.Keepalive(100*time.Millisecond))
		}
		r, err := uactor.Connect(ctx, workerKind, w.Address(), testKey, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		refs[i] = r
	}
	stopped := ws[0].PID()
	if err := syscall.Kill(stopped, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(stopped, syscall.SIGCONT) }) // before the workers' Close
	select {
	case <-refs[0].Done(): // w0 is gone for good, for this ref
	case <-ctx.Done():
		t.Fatal("the keepalive did not find w0 silent")
	}
	p := registry.Pool(hit, refs...)
	for i := range 4 {
		name, err := p.Handle(ctx, uactor.Empty{})
		if err != nil || name != "w1" {
			t.Fatalf("call %d through the pool: %q, %v; want w1's answer (w0's ref is gone: %v)", i, name, err, refs[0].Err())
		}
	}
}

// Errors that say the call ran (or may have) come back as they are, and
// are not retried on another actor.
func TestPoolReturnsCallErrors(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	refs, ws := hostWorkers(t, 3)
	p := registry.Pool(fail, refs...)
	_, err := p.Handle(ctx, "boom")
	if re, ok := errors.AsType[*uactor.RemoteError](err); !ok || re.Message != "boom" {
		t.Fatalf("handler error: %v", err)
	}
	if _, err := p.Handle(ctx, "sentinel"); !errors.Is(err, errTest) {
		t.Fatalf("sentinel error: %v", err)
	}
	if _, err := p.Handle(ctx, "panic"); !errors.Is(err, uactor.ErrPanic) {
		t.Fatalf("panic: %v", err)
	}
	// A handler's sentinels that match ErrBusy or ErrWrongActor, which
	// from uactor itself would say the call did not run: it ran.
	if _, err := p.Handle(ctx, "busy"); !errors.Is(err, errOverloaded) || !errors.Is(err, uactor.ErrBusy) || errors.Is(err, registry.ErrNoActors) {
		t.Fatalf("a handler's sentinel matching ErrBusy: %v", err)
	}
	if _, err := p.Handle(ctx, "wrong actor"); !errors.Is(err, errMoved) || !errors.Is(err, uactor.ErrWrongActor) || errors.Is(err, registry.ErrNoActors) {
		t.Fatalf("a handler's sentinel matching ErrWrongActor: %v", err)
	}
	var ran int64
	for _, w := range ws {
		ran += w.hits.Load()
	}
	if ran != 5 {
		t.Errorf("five calls ran %d times in all: a call that ran was retried", ran)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Handle(cancelled, "x"); !errors.Is(err, cancelled.Err()) {
		t.Fatalf("cancelled call: %v", err)
	}
}

// An actor that refuses a call over its in-flight bound (ErrBusy) has not
// run it: the pool hands the call to the next actor.
func TestPoolMovesOnFromBusyActor(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	busy := &worker{name: "busy", held: make(chan struct{}, 1)}
	bref, err := uactor.Host(ctx, workerKind, busy, uactor.AuthKey(testKey), uactor.MaxInFlight(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bref.Close() })
	free, _ := hostWorkers(t, 1)
	// A ref with the default bound, above the busy actor's, as a peer's is.
	r, err := uactor.Connect(ctx, workerKind, bref.Address(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	hctx, release := context.WithCancel(ctx)
	defer release()
	go hold.Call(hctx, r, uactor.Empty{})
	<-busy.held
	p := registry.Pool(hold, r, free[0])
	for range 4 {
		if got, err := p.Handle(ctx, uactor.Empty{}); err != nil || got != "w0" {
			t.Fatalf("a pool call with one actor busy: %q, %v; want the other's answer", got, err)
		}
	}
}

// With no actor to reach, a pool call fails with ErrNoActors, wrapping why.
func TestPoolNoActors(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	if _, err := registry.Pool(hit).Handle(ctx, uactor.Empty{}); !errors.Is(err, registry.ErrNoActors) || strings.Count(err.Error(), "registry:") != 1 {
		t.Fatalf("empty pool: %v; want ErrNoActors, saying \"registry:\" once", err)
	}
	refs, _ := hostWorkers(t, 2)
	for _, r := range refs {
		r.Close()
	}
	_, err := registry.Pool(hit, refs...).Handle(ctx, uactor.Empty{})
	if !errors.Is(err, registry.ErrNoActors) || !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("pool of closed refs: %v", err)
	}
}

// 1000 calls, from concurrent callers, through a pool of actors in
// processes of their own, one of which died: the live ones share them
// evenly (±10%), as the actors' own counts tell.
func TestPoolSpreadsEvenly(t *testing.T) {
	const total, actors = 1000, 5
	ctx := testCtx(t, time.Minute)
	refs := spawnWorkers(t, ctx, actors)
	for i, r := range refs {
		t.Logf("actor %d: pid %d at %s", i, r.PID(), r.Address())
	}
	kill(t, refs[2])
	p := registry.Pool(hit, refs...)
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < total; i += 8 {
				if _, err := p.Handle(ctx, uactor.Empty{}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	sum, share := int64(0), int64(total/(actors-1))
	for i, r := range refs {
		if i == 2 {
			continue
		}
		n, err := count.Call(ctx, r, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("actor %d (pid %d): %d calls", i, r.PID(), n)
		if n < share*9/10 || n > share*11/10 {
			t.Errorf("actor %d served %d calls, want %d ±10%%", i, n, share)
		}
		sum += n
	}
	if sum != total {
		t.Fatalf("the live actors served %d calls, want %d", sum, total)
	}
}
