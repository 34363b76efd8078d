package uactor

import (
	"context"
	"crypto/sha256"
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

// TestStretchCacheIsBounded: the cache keeps the last stretchCacheMax keys;
// a key pushed out is stretched again, to the same result, and a key in
// use stays.
func TestStretchCacheIsBounded(t *testing.T) {
	orig := deriveKey
	var started atomic.Int64
	deriveKey = func(raw string) []byte { // cheap: this test stretches many
		started.Add(1)
		sum := sha256.Sum256([]byte(raw))
		return sum[:]
	}
	t.Cleanup(func() { deriveKey = orig })
	ctx := context.Background()
	first := NewKey()
	want, err := stretch(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	kept := NewKey()
	for range stretchCacheMax + 10 {
		if _, err := stretch(ctx, kept); err != nil { // used all along
			t.Fatal(err)
		}
		if _, err := stretch(ctx, NewKey()); err != nil {
			t.Fatal(err)
		}
	}
	stretchCache.Lock()
	n := len(stretchCache.keys)
	stretchCache.Unlock()
	if n > stretchCacheMax {
		t.Fatalf("the cache holds %d keys, more than %d", n, stretchCacheMax)
	}
	before := started.Load()
	if _, err := stretch(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if started.Load() != before {
		t.Fatal("a key used all along was stretched again")
	}
	again, err := stretch(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if started.Load() != before+1 {
		t.Fatalf("a key pushed out of the cache: %d stretchings, want 1", started.Load()-before)
	}
	if string(again) != string(want) {
		t.Fatalf("a key stretched again gave %x, first %x", again, want)
	}
}
