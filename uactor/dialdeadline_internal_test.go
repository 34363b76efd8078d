package uactor

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
)

// A ref that names its actor dials it again and again for DialTimeout, and
// DialTimeout bounds the connecting as a whole (before each handshake): a
// try begun just before the end has only what is left, not DialTimeout of
// its own, which would stretch the dial to nearly twice as long. Each try
// here is refused at once, as where nothing listens, and is told when it
// must have connected by: never later than the first try was.
func TestRedialConnectsWithinDialTimeout(t *testing.T) {
	var mu sync.Mutex
	var bys []time.Time
	hook := func(a address, by time.Time) error {
		mu.Lock()
		bys = append(bys, by)
		mu.Unlock()
		return syscall.ECONNREFUSED
	}
	testHookDial.Store(&hook)
	t.Cleanup(func() { testHookDial.Store(nil) })

	a, err := parseAddress("tcp://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	o := defaultOptions()
	o.dialTimeout = 500 * time.Millisecond
	p := acquirePeer(a, []byte("key"), uuid.New(), o) // names its actor: it tries again
	t.Cleanup(p.release)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := p.conn(ctx); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial where every try is refused = %v; want ECONNREFUSED", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bys) < 2 {
		t.Skipf("%d tries within DialTimeout: nothing to compare (a very slow machine)", len(bys))
	}
	for i, by := range bys[1:] {
		if by.After(bys[0]) {
			t.Fatalf("try %d of %d must connect by %v after the first try's deadline; want none later than the first's",
				i+2, len(bys), by.Sub(bys[0]))
		}
	}
}
