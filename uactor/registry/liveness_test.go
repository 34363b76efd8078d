package registry_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// Pick checks an address before handing it out: a dead one (its listener
// closed) is dropped on the spot if no check found it alive before, and
// Pick hands out the next live one. One found alive before is not handed
// out either, and is dropped once refused for DialTimeout (it may have been
// restarting).
func TestPickDropsDeadEntry(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			reg := hostRegistry(t, registry.Config{ProbeInterval: -1, DialTimeout: 100 * time.Millisecond}) // only Pick's check
			var a registry.Addresses
			var ls []*listener
			for range 3 {
				l := listen(t, network)
				ls, a = append(ls, l), append(a, l.addr)
			}
			register(t, ctx, reg, a...)
			ls[1].close()
			want := []string{a[0], a[2], a[0], a[2]}
			if got := picks(t, ctx, reg, 4); !slices.Equal(got, want) {
				t.Fatalf("picks %v, want %v", got, want)
			}
			expectList(t, ctx, reg, "after the dead one was picked", a[0], a[2])
			ls[0].close()
			ls[2].close()
			if got := picks(t, ctx, reg, 2); !slices.Equal(got, []string{"-", "-"}) {
				t.Fatalf("picks with every actor dead: %v", got)
			}
			expectList(t, ctx, reg, "with every actor dead, found alive before", a[0], a[2])
			for len(list(t, ctx, reg)) > 0 {
				if got := picks(t, ctx, reg, 1); !slices.Equal(got, []string{"-"}) {
					t.Fatalf("pick with every actor dead: %v", got)
				}
				select {
				case <-ctx.Done():
					t.Fatal("the dead actors were never dropped")
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
	}
}

// Probe drops every dead address, and reports how many.
func TestProbeDropsDead(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1})
	ls, a := listeners(t, 5)
	register(t, ctx, reg, a...)
	ls[0].close()
	ls[3].close()
	n, err := registry.Probe.Call(ctx, reg, uactor.Empty{})
	if err != nil || n != 2 {
		t.Fatalf("Probe = %d, %v; want 2", n, err)
	}
	expectList(t, ctx, reg, "after Probe", a[1], a[2], a[4])
	if n, err := registry.Probe.Call(ctx, reg, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("second Probe = %d, %v; want 0", n, err)
	}
}

// The periodic probe drops dead addresses with no Pick (once refused for
// DialTimeout, if a probe found them alive first).
func TestPeriodicProbe(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: 20 * time.Millisecond, DialTimeout: 100 * time.Millisecond})
	ls, a := listeners(t, 3)
	register(t, ctx, reg, a...)
	ls[1].close()
	waitList(t, ctx, reg, registry.Addresses{a[0], a[2]})
}

// Concurrent picks, probes and registrations: every pick is a live actor.
func TestConcurrentPicks(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: 10 * time.Millisecond})
	ls, a := listeners(t, 6)
	for _, i := range []int{1, 2, 4} { // before any check can find them alive
		ls[i].close()
	}
	register(t, ctx, reg, a...)
	live := map[string]bool{a[0]: true, a[3]: true, a[5]: true}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 30 {
				switch {
				case g == 0 && i%5 == 0:
					registry.Probe.Call(ctx, reg, uactor.Empty{})
				case g == 1 && i%5 == 0:
					registry.Register.Call(ctx, reg, registry.Addresses{a[0], a[3]})
				}
				p, err := registry.Pick.Call(ctx, reg, uactor.Empty{})
				if err != nil || !p.OK || !live[p.Address] {
					errs <- fmt.Sprintf("%+v, %v", p, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for bad := range errs {
		t.Errorf("a pick returned %s (live: %v)", bad, live)
	}
	expectList(t, ctx, reg, "after the concurrent picks", a[0], a[3], a[5])
}
