package registry_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor/registry"
)

// A source that lists thousands of addresses, each twice and out of order,
// makes the pool it always made: the actors it reaches, each once, in the
// order the source first lists them, and every other address tried once.
func TestPoolFromManyAddresses(t *testing.T) {
	const missing = 2000
	ctx := testCtx(t, time.Minute)
	refs, _ := hostWorkers(t, 3)
	dir := t.TempDir()
	var gone registry.Addresses
	for i := range missing {
		gone = append(gone, fmt.Sprintf("unix://%s/m%d.sock", dir, i))
	}
	// w2 early, w0 in the middle, w1 late; then all of it again, reversed.
	var addrs registry.Addresses
	addrs = append(addrs, gone[:10]...)
	addrs = append(addrs, refs[2].Address())
	addrs = append(addrs, gone[10:1000]...)
	addrs = append(addrs, refs[0].Address())
	addrs = append(addrs, gone[1000:]...)
	addrs = append(addrs, refs[1].Address())
	back := slices.Clone(addrs)
	slices.Reverse(back)
	addrs = append(addrs, back...)
	pool, err := registry.PoolFrom(ctx, &listings{lists: []registry.Addresses{addrs}}, 0, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	want := []string{refs[2].Address(), refs[0].Address(), refs[1].Address()}
	if got := pool.Addresses(); !slices.Equal(got, want) {
		t.Fatalf("pool of %v; want %v", got, want)
	}
	if err := pool.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pool.Addresses(); !slices.Equal(got, want) {
		t.Fatalf("after a refresh, pool of %v; want %v", got, want)
	}
	if got := calls(t, pool, 4); !slices.Equal(got, []string{"w2", "w0", "w1", "w2"}) {
		t.Fatalf("calls went to %v", got)
	}
	// Listed twice each, the addresses nothing serves are each tried once.
	twice := append(slices.Clone(gone), gone...)
	_, err = registry.PoolFrom(ctx, &listings{lists: []registry.Addresses{twice}}, 0, workerKind, testKey, hit)
	if want := fmt.Sprintf("%d Connects failed", missing); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("PoolFrom over %d missing sockets, each listed twice: %v; want it to say %q", missing, err, want)
	}
}
