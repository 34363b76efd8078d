package uactor_test

import (
	"os"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// An owner waits for its actors' processes to exit without holding a
// thread for each: a program with many actors must not grow a thread per
// actor (the Go runtime stops a program at 10000 threads).
func TestLiveActorsHoldNoThreadEach(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	threads := func() int {
		e, err := os.ReadDir("/proc/self/task")
		if err != nil {
			t.Skip("no /proc/self/task:", err)
		}
		return len(e)
	}
	const n = 16
	var refs []uactor.Ref[*Counter]
	t.Cleanup(func() {
		for _, r := range refs {
			r.Close()
		}
	})
	// One first, so that threads the runtime starts for any spawn are counted before.
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		t.Fatal(err)
	}
	refs = append(refs, r)
	before := threads()
	for range n {
		r, err := uactor.Spawn(ctx, CounterKind, 0)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
		if _, err := Add.Call(ctx, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	if grew := threads() - before; grew >= n/2 {
		t.Errorf("%d more actors, %d more threads: one is held per actor", n, grew)
	}
}
