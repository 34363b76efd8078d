package uactor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// countStretching counts the stretchings that start until the test ends.
func countStretching(t *testing.T) *atomic.Int64 {
	t.Helper()
	orig := deriveKey
	var n atomic.Int64
	deriveKey = func(raw string) []byte {
		n.Add(1)
		return orig(raw)
	}
	t.Cleanup(func() { deriveKey = orig })
	return &n
}

// TestStretchHonoursContext: a Spawn, Host or Connect whose context has
// ended gets the context's error and starts no stretching; callers that
// ask at once for one key stretch it once, and all get the same.
func TestStretchHonoursContext(t *testing.T) {
	started := countStretching(t)
	key := NewKey()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for name, f := range map[string]func(context.Context) error{
		"stretch": func(ctx context.Context) error { _, err := stretch(ctx, key); return err },
		"Connect": func(ctx context.Context) error {
			_, err := Connect(ctx, sleeperKind, "unix:///nonexistent/uactor.sock", key)
			return err
		},
		"Host": func(ctx context.Context) error {
			_, err := Host(ctx, sleeperKind, sleeper{}, AuthKey(key))
			return err
		},
		"Spawn": func(ctx context.Context) error {
			_, err := Spawn(ctx, sleeperKind, Empty{}, AuthKey(key))
			return err
		},
	} {
		if err := f(done); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with an ended context: %v, want context.Canceled", name, err)
		}
	}
	if n := started.Load(); n != 0 {
		t.Fatalf("callers whose context had ended started %d stretchings", n)
	}
	var wg sync.WaitGroup
	keys := make([][]byte, 4)
	for i := range keys {
		wg.Go(func() {
			k, err := stretch(context.Background(), key)
			if err != nil || len(k) != stretchedSize {
				t.Errorf("stretch: %x, %v", k, err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if string(k) != string(keys[0]) {
			t.Fatalf("one key stretched to %x and %x", keys[0], k)
		}
	}
	if n := started.Load(); n != 1 {
		t.Fatalf("four callers at once stretched one key %d times", n)
	}
}
