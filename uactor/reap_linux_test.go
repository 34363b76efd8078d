package uactor_test

import (
	"os"
	"testing"
	"time"
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
	// One first, so that threads the runtime starts for any spawn are counted before.
	spawnCounter(t, ctx)
	before := threads()
	for range n {
		if _, err := Add.Call(ctx, spawnCounter(t, ctx), 1); err != nil {
			t.Fatal(err)
		}
	}
	if grew := threads() - before; grew >= n/2 {
		t.Errorf("%d more actors, %d more threads: one is held per actor", n, grew)
	}
}
