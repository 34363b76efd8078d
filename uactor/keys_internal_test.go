package uactor

import (
	"context"
	"errors"
	"testing"
	"time"
)

// holdStretching makes stretching wait until the returned func is called,
// and counts how often it starts, so that tests see a caller give up
// mid-stretch without depending on how long PBKDF2 takes.
func holdStretching(t *testing.T) (started <-chan struct{}, release func()) {
	t.Helper()
	orig := deriveKey
	start := make(chan struct{}, 16)
	gate := make(chan struct{})
	deriveKey = func(raw string) []byte {
		start <- struct{}{}
		<-gate
		return orig(raw)
	}
	var once bool
	release = func() {
		if !once {
			once = true
			close(gate)
		}
	}
	t.Cleanup(func() { release(); deriveKey = orig })
	return start, release
}

// TestStretchHonoursContext: a caller whose context has ended, or ends
// while the key stretches, gets the context's error at once; the work it
// started is kept for the next caller, which does not start it again.
func TestStretchHonoursContext(t *testing.T) {
	started, release := holdStretching(t)
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
	stretchCache.Lock()
	_, begun := stretchCache.keys[string(key)]
	stretchCache.Unlock()
	if begun {
		t.Fatal("a caller whose context had ended started stretching")
	}

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Connect(ctx, sleeperKind, "unix:///nonexistent/uactor.sock", key)
		errc <- err
	}()
	<-started
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Connect cancelled while stretching: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Connect did not return when its context ended while the key stretched")
	}

	release()
	k1, err := stretch(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := stretch(context.Background(), key)
	if err != nil || string(k1) != string(k2) || len(k1) != stretchedSize {
		t.Fatalf("stretched twice: %x, %x, %v", k1, k2, err)
	}
	if len(started) != 0 {
		t.Errorf("stretching started %d more times for a key already stretching", len(started))
	}
}
