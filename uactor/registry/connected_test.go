package registry_test

import (
	"errors"
	"slices"
	"strings"
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
