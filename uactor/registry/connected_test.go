package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// PoolFromRegistry connects to what the registry lists, leaving out what it
// cannot connect to, and spreads calls over the rest.
func TestPoolFromRegistry(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1})
	refs, _ := hostWorkers(t, 3)
	dead := listen(t, "tcp")
	dead.close()
	other := listen(t, "tcp") // listens, but is no actor
	register(t, ctx, reg, refs[0].Address(), dead.addr, refs[1].Address(), other.addr, refs[2].Address())
	pool, err := registry.PoolFromRegistry(ctx, reg, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	want := []string{refs[0].Address(), refs[1].Address(), refs[2].Address()}
	if got := pool.Addresses(); !slices.Equal(got, want) {
		t.Fatalf("pool of %v, want %v", got, want)
	}
	if got := calls(t, pool, 4); !slices.Equal(got, []string{"w0", "w1", "w2", "w0"}) {
		t.Fatalf("calls went to %v", got)
	}
	pool.Close()
	pool.Close()
	if _, err := pool.Handle(ctx, uactor.Empty{}); !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("call after Close: %v", err)
	}
	for _, r := range refs { // the actors still run
		if _, err := hit.Call(ctx, r, uactor.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
}

// With nothing to connect to, PoolFromRegistry fails with ErrNoActors.
func TestPoolFromRegistryNone(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1})
	if _, err := registry.PoolFromRegistry(ctx, reg, workerKind, testKey, hit); !errors.Is(err, registry.ErrNoActors) || strings.Count(err.Error(), "registry:") != 1 {
		t.Fatalf("empty registry: %v; want ErrNoActors, saying \"registry:\" once", err)
	}
	refs, _ := hostWorkers(t, 1)
	register(t, ctx, reg, refs[0].Address())
	_, err := registry.PoolFromRegistry(ctx, reg, workerKind, []byte("wrong key"), hit)
	if !errors.Is(err, registry.ErrNoActors) || !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("wrong key: %v", err)
	}
}

// A pool whose actor died, and whose address another actor now serves,
// connects to that actor on its next refresh: the old ref, whose actor is
// gone for good, is replaced, not kept for as long as the source lists the
// address.
func TestPoolReplacesRefWhoseActorIsGone(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1})
	free := listen(t, "tcp")
	free.close()
	opts := []uactor.Option{uactor.Listen(free.addr), uactor.AuthKey(testKey)}
	first, err := uactor.Spawn(ctx, workerKind, "first", opts...)
	if err != nil {
		t.Fatal(err)
	}
	register(t, ctx, reg, free.addr)
	pool, err := registry.PoolFrom(ctx, registry.Registered(reg), 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got, err := pool.Handle(ctx, uactor.Empty{}); err != nil || got != "first" {
		t.Fatalf("first call: %q, %v", got, err)
	}
	kill(t, first)
	second, err := uactor.Spawn(ctx, workerKind, "second", opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	// However long the old ref takes to find its actor gone, a refresh
	// after that reaches the second.
	for {
		if err := pool.Refresh(ctx); err != nil && !errors.Is(err, registry.ErrNoActors) {
			t.Fatalf("Refresh: %v", err)
		}
		got, err := pool.Handle(ctx, uactor.Empty{})
		if err == nil && got == "second" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("after the restart, the pool still calls %q, %v; want \"second\"", got, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// listings is a Source that answers each lookup with the next of its
// lists, and the last one for ever after.
type listings struct {
	mu    sync.Mutex
	lists []registry.Addresses
}

func (s *listings) Lookup(ctx context.Context) (registry.Addresses, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.lists[0]
	if len(s.lists) > 1 {
		s.lists = s.lists[1:]
	}
	return a, nil
}

// A refresh whose context ends in its Connects still leaves out what the
// source no longer lists, so that none of those connections stays in the
// pool (each closes once no call of an older view holds it).
func TestRefreshCutShortLeavesOutWhatTheSourceDropped(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ws := spawnWorkers(t, ctx, 2)
	a, c := ws[0].Address(), ws[1].Address()
	silent := listen(t, "tcp") // listed now, but its Connect is cut short
	src := &listings{lists: []registry.Addresses{{a, c}, {c, silent.addr}}}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for i := range 2 {
		cut, cancel := context.WithCancel(ctx)
		cancel()
		if err := pool.Refresh(cut); !errors.Is(err, context.Canceled) {
			t.Fatalf("refresh %d, its context ended: %v; want context.Canceled", i, err)
		}
		if got := pool.Addresses(); !slices.Equal(got, []string{c}) {
			t.Fatalf("after refresh %d, cut short: addresses %v; want %v alone", i, got, c)
		}
	}
	for range 4 {
		if got, err := pool.Handle(ctx, uactor.Empty{}); err != nil || got != "w1" {
			t.Fatalf("a call through the pool: %q, %v; want w1's answer", got, err)
		}
	}
}

// A pool keeps its own copy of the options it was given: a caller that
// reuses its slice afterwards changes no later Connect.
func TestPoolFromKeepsItsOptions(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ws := spawnWorkers(t, ctx, 2)
	a, c := ws[0].Address(), ws[1].Address()
	opts := []uactor.Option{uactor.DialTimeout(5 * time.Second)}
	pool, err := registry.PoolFrom(ctx, &listings{lists: []registry.Addresses{{a}, {a, c}}}, 0, workerKind, testKey, hit, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	opts[0] = uactor.DialTimeout(0) // not an option Connect takes
	if err := pool.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pool.Addresses(); !slices.Equal(got, []string{a, c}) {
		t.Fatalf("after a refresh listing a second actor: %v; want both", got)
	}
}

// stuck is a Source whose first lookup answers addrs and whose later ones
// wait for their context to end, saying on begun that one is waiting.
type stuck struct {
	addrs registry.Addresses
	n     atomic.Int32
	begun chan struct{}
}

func (s *stuck) Lookup(ctx context.Context) (registry.Addresses, error) {
	if s.n.Add(1) == 1 {
		return s.addrs, nil
	}
	s.begun <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

// stuckRefresh returns a pool of one worker, and the result of a Refresh
// of it, with no end of its own, that is in its source's lookup: it ends
// only when Close cuts it short.
func stuckRefresh(t *testing.T, ctx context.Context) (*registry.ConnectedPool[uactor.Empty, string], <-chan error) {
	t.Helper()
	ws := spawnWorkers(t, ctx, 1)
	src := &stuck{addrs: registry.Addresses{ws[0].Address()}, begun: make(chan struct{}, 1)}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	refreshed := make(chan error, 1)
	go func() { refreshed <- pool.Refresh(context.Background()) }()
	select {
	case <-src.begun:
	case <-ctx.Done():
		t.Fatal("the refresh did not begin its lookup")
	}
	return pool, refreshed
}

// Close cuts short a refresh under way, whose context has no end of its
// own, rather than waiting for it: the refresh fails with ErrClosed, and
// the pool is closed.
func TestCloseCutsARefreshShort(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	pool, refreshed := stuckRefresh(t, ctx)
	closed := make(chan error, 1)
	go func() { closed <- pool.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Close waited for a refresh that does not end by itself")
	}
	if err := <-refreshed; !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("the refresh that Close cut short: %v; want ErrClosed", err)
	}
	if _, err := pool.Handle(ctx, uactor.Empty{}); err == nil {
		t.Fatal("a call through the closed pool succeeded")
	}
}

// A Refresh that waits for another refresh to end leaves when its own ctx
// ends, with ctx's error, and one waiting when Close comes fails with
// ErrClosed: neither is held for as long as the other refresh takes (up
// to its own timeout, or for ever with a source that hangs).
func TestRefreshWaitingForAnotherHonoursItsCtx(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	pool, first := stuckRefresh(t, ctx) // it holds the pool's turn until Close
	waiting, cancel := context.WithCancel(ctx)
	second := make(chan error, 1)
	go func() { second <- pool.Refresh(waiting) }()
	cancel()
	select {
	case err := <-second:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("a Refresh whose ctx ended while another refresh ran: %v; want context.Canceled", err)
		}
	case <-ctx.Done():
		t.Fatal("a Refresh whose ctx ended waited for another refresh that does not end by itself")
	}
	third := make(chan error, 1)
	go func() { third <- pool.Refresh(context.Background()) }()
	if err := pool.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, ch := range []<-chan error{first, third} {
		if err := <-ch; !errors.Is(err, uactor.ErrClosed) {
			t.Fatalf("a Refresh that Close cut short or found closed: %v; want ErrClosed", err)
		}
	}
}

// A call in flight when Close closes the pool is not handed to another
// actor: the call was sent and may have run (here it runs), so the
// ErrClosed it gets comes back as it is.
func TestCloseDoesNotRetryCallInFlight(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	held := make(chan struct{}, 1)
	addrs, ws := hostHolders(t, held, nil)
	pool, err := registry.PoolFrom(ctx, &listings{lists: []registry.Addresses{addrs}}, 0, workerKind, testKey, hold)
	if err != nil {
		t.Fatal(err)
	}
	done := handleAsync(ctx, pool)
	select {
	case <-held: // w0 runs the call (round-robin starts there), and holds it
	case <-ctx.Done():
		t.Fatal("the call did not reach w0")
	}
	pool.Close()
	select {
	case r := <-done:
		if r.err == nil {
			t.Fatalf("the call w0 was running was run again, by %s, which answered it", r.name)
		}
		if !errors.Is(r.err, uactor.ErrClosed) {
			t.Fatalf("the call cut short: %v; want ErrClosed", r.err)
		}
	case <-ctx.Done():
		t.Fatal("the call cut short did not come back")
	}
	if n := ws[1].hits.Load(); n != 0 {
		t.Fatalf("w1 ran %d calls", n)
	}
}

// hostHolders serves two workers in this process, w0 holding its Hold
// calls (see worker.Hold) with held and free, and w1 answering at once;
// it returns their addresses and the workers. They stop with the test.
func hostHolders(t *testing.T, held, free chan struct{}) (registry.Addresses, []*worker) {
	t.Helper()
	hctx, hcancel := context.WithCancel(context.Background())
	t.Cleanup(hcancel)
	ws := []*worker{{name: "w0", held: held, free: free}, {name: "w1"}}
	var addrs registry.Addresses
	for _, w := range ws {
		r, err := uactor.Host(hctx, workerKind, w, uactor.AuthKey(testKey))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		addrs = append(addrs, r.Address())
	}
	return addrs, ws
}

// result is what a call through a pool came to.
type result struct {
	name string
	err  error
}

// handleAsync makes one call through h, and says on the channel it returns what it came to.
func handleAsync(ctx context.Context, h uactor.Handler[uactor.Empty, string]) <-chan result {
	done := make(chan result, 1)
	go func() {
		name, err := h.Handle(ctx, uactor.Empty{})
		done <- result{name, err}
	}()
	return done
}

// cutting is a Source that lists addrs and ends the lookup's context as it
// answers: the Connects that follow find it ended.
type cutting struct {
	addrs  registry.Addresses
	cancel context.CancelFunc
}

func (s cutting) Lookup(ctx context.Context) (registry.Addresses, error) {
	s.cancel()
	return s.addrs, nil
}

// When ctx ends before the pool has connected, PoolFrom and Refresh fail
// with ctx's error (as documented, and as ConnectFrom does), not with
// ErrNoActors: the actors listed are there, and a caller that tells "no
// actors" from "out of time" by errors.Is must not be told the former.
func TestPoolFromCtxEndedIsNotNoActors(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ws := spawnWorkers(t, ctx, 1)
	addrs := registry.Addresses{ws[0].Address()}

	cctx, cancel := context.WithCancel(ctx)
	_, err := registry.PoolFrom(cctx, cutting{addrs, cancel}, 0, workerKind, testKey, hit)
	if !errors.Is(err, context.Canceled) || errors.Is(err, registry.ErrNoActors) {
		t.Errorf("PoolFrom, its ctx ended before it connected: %v; want context.Canceled, not ErrNoActors", err)
	}

	cctx, cancel = context.WithCancel(ctx)
	_, err = registry.ConnectFrom(cctx, cutting{addrs, cancel}, workerKind, testKey)
	if !errors.Is(err, context.Canceled) || errors.Is(err, registry.ErrNoActors) {
		t.Errorf("ConnectFrom, its ctx ended before it connected: %v; want context.Canceled, not ErrNoActors", err)
	}

	src := &listings{lists: []registry.Addresses{addrs, {}}}
	pool, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ws2 := spawnWorkers(t, ctx, 1)
	// The pool's actor leaves the source, a new one joins; the refresh's
	// ctx ends before it connects to the new one.
	cctx, cancel = context.WithCancel(ctx)
	cancel()
	src.lists = []registry.Addresses{{ws2[0].Address()}}
	if err := pool.Refresh(cctx); !errors.Is(err, context.Canceled) || errors.Is(err, registry.ErrNoActors) {
		t.Errorf("Refresh, its ctx ended while it connected: %v; want context.Canceled, not ErrNoActors", err)
	}
}

// A source that lists many addresses, none of which answers, makes an
// error of a few lines, not one of every Connect: it still matches
// ErrNoActors and the first failures, and says how many there were. An
// address listed twice is tried once.
func TestNoActorsErrorStaysShort(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	dir := t.TempDir()
	var addrs registry.Addresses
	for i := range 300 {
		addrs = append(addrs, fmt.Sprintf("unix://%s/w%d.sock", dir, i))
	}
	addrs = append(registry.Addresses{addrs[0]}, addrs...) // the first, listed twice
	src := &listings{lists: []registry.Addresses{addrs}}
	for _, c := range []struct {
		name string
		try  func() error
	}{
		{"ConnectFrom", func() error {
			_, err := registry.ConnectFrom(ctx, src, workerKind, testKey)
			return err
		}},
		{"PoolFrom", func() error {
			_, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit)
			return err
		}},
	} {
		err := c.try()
		if !errors.Is(err, registry.ErrNoActors) || !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("%s over %d missing sockets: %v; want ErrNoActors wrapping ENOENT", c.name, len(addrs), err)
		}
		msg := err.Error()
		if len(msg) > 4096 || !strings.Contains(msg, "300") {
			t.Errorf("%s over 300 missing sockets: an error of %d bytes, %d lines; want a few lines that say 300 failed:\n%.600s",
				c.name, len(msg), strings.Count(msg, "\n")+1, msg)
		}
		if n := strings.Count(msg, addrs[0]+":"); n > 1 {
			t.Errorf("%s: the address listed twice failed %d times in the error: %.600s", c.name, n, msg)
		}
	}
}

// A refresh does not start the pool's cycle over: a pool that refreshes
// more often than it is called still spreads its calls over every actor,
// rather than sending each to the first one listed.
func TestRefreshKeepsTheCycle(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	refs, _ := hostWorkers(t, 3)
	var addrs registry.Addresses
	for _, r := range refs {
		addrs = append(addrs, r.Address())
	}
	pool, err := registry.PoolFrom(ctx, &listings{lists: []registry.Addresses{addrs}}, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var got []string
	for range 6 {
		name, err := pool.Handle(ctx, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, name)
		if err := pool.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"w0", "w1", "w2", "w0", "w1", "w2"}; !slices.Equal(got, want) {
		t.Fatalf("one call after each refresh went to %v, want %v", got, want)
	}
}

// When ctx ends only after every Connect has succeeded, PoolFrom has
// connected (its godoc fails it with ctx's error only if ctx ends before
// that), and returns the working pool rather than closing it; a Refresh
// likewise holds, and reports, what it reached in full.
func TestPoolFromCtxEndedAfterItConnected(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ws := spawnWorkers(t, ctx, 2)
	a, c := ws[0].Address(), ws[1].Address()
	cctx, cancel := context.WithCancel(ctx)
	registry.SetConnectedHook(t, cancel)
	src := &listings{lists: []registry.Addresses{{a}, {a, c}}}
	pool, err := registry.PoolFrom(cctx, src, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatalf("PoolFrom, its ctx ended once every Connect had succeeded: %v; want the pool", err)
	}
	defer pool.Close()
	if got, err := pool.Handle(ctx, uactor.Empty{}); err != nil || got != "w0" {
		t.Fatalf("a call through the pool: %q, %v; want w0's answer", got, err)
	}
	cctx, cancel = context.WithCancel(ctx)
	registry.SetConnectedHook(t, cancel)
	if err := pool.Refresh(cctx); err != nil {
		t.Fatalf("Refresh, its ctx ended once every Connect had succeeded: %v; want nil", err)
	}
	if got := pool.Addresses(); !slices.Equal(got, []string{a, c}) {
		t.Fatalf("after the refresh: addresses %v; want %v", got, []string{a, c})
	}
}
