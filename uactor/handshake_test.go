package uactor_test

// The handshake: who gets in, and how a refusal reads.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// A caller with the wrong key is refused within the handshake deadline
// with an *AuthKeyError that names the address, no handler runs, the actor
// keeps serving, and a caller with the right key gets in: on a Unix socket
// and on TCP, for an actor given a key and for one under the tree key.
func TestWrongKeyRefused(t *testing.T) {
	tcp := uactor.Listen("tcp://127.0.0.1:0")
	for _, tc := range []struct {
		name string
		key  string // the actor's; "" for the tree key, which callers lack
		opts []uactor.Option
	}{
		{"unix/own key", "a", nil},
		{"unix/tree key", "", nil},
		{"tcp/own key", "a", []uactor.Option{tcp}},
		{"tcp/tree key", "", []uactor.Option{tcp}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			opts := tc.opts
			if tc.key != "" {
				opts = append(opts, uactor.AuthKey([]byte(tc.key)))
			}
			r := spawnCounter(t, ctx, opts...)
			start := time.Now()
			remote, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("b"))
			el := time.Since(start)
			if err == nil {
				remote.Close()
			}
			// Only the actor's verdict on the proof makes an AuthKeyError: an
			// actor that let the handshake run out its deadline would give a
			// timeout or EOF instead.
			var ake *uactor.AuthKeyError
			if !errors.Is(err, uactor.ErrAuthKey) || !errors.As(err, &ake) || ake.Address != r.Address() {
				t.Fatalf("Connect with key b = %v; want *AuthKeyError for %s", err, r.Address())
			}
			t.Logf("refused in %v: %v", el, err)
			expectUntouched(t, ctx, r)
			if tc.key == "" {
				return
			}
			good := connect(t, ctx, r.Address(), tc.key)
			if pid, err := GetPID.Call(ctx, good, uactor.Empty{}); err != nil || pid != r.PID() {
				t.Fatalf("getpid through Connect = %d, %v; want %d", pid, err, r.PID())
			}
		})
	}
}

// An empty or nil key is refused before anything is dialled or started (so
// also under a context that has ended already), and never falls back to the
// tree key: by Connect, and by Spawn and Host given it with AuthKey.
func TestEmptyAuthKeyRefused(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ended, cancel := context.WithCancel(ctx)
	cancel()
	r := spawnCounter(t, ctx)
	for _, key := range [][]byte{{}, nil} {
		name := map[bool]string{false: "empty", true: "nil"}[key == nil]
		t.Run("Connect/"+name, func(t *testing.T) {
			for _, cctx := range []context.Context{ctx, ended} {
				remote, err := uactor.Connect(cctx, CounterKind, r.Address(), key)
				if err == nil {
					remote.Close()
				}
				if !errors.Is(err, uactor.ErrAuthKey) {
					t.Fatalf("Connect with an %s key (context error %v) = %v; want ErrAuthKey", name, cctx.Err(), err)
				}
			}
		})
		t.Run("Spawn/"+name, func(t *testing.T) {
			for _, cctx := range []context.Context{ctx, ended} {
				s, err := uactor.Spawn(cctx, CounterKind, 0, uactor.AuthKey(key))
				if err == nil {
					pid := s.PID()
					s.Close()
					assertGone(t, pid, time.Second)
					t.Fatalf("Spawn with an %s AuthKey succeeded (actor pid %d); want an error before a process starts", name, pid)
				}
				if !errors.Is(err, uactor.ErrAuthKey) {
					t.Fatalf("Spawn with an %s key (context error %v) = %v; want ErrAuthKey", name, cctx.Err(), err)
				}
			}
		})
		t.Run("Host/"+name, func(t *testing.T) {
			h, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.AuthKey(key))
			if err == nil {
				h.Close()
			}
			if !errors.Is(err, uactor.ErrAuthKey) {
				t.Fatalf("Host with an %s key = %v; want ErrAuthKey", name, err)
			}
		})
	}
	expectUntouched(t, ctx, r)
}

func TestConnectWrongKind(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := keyedCounter(t, "k")
	_, err := uactor.Connect(ctx, GhostKind, r.Address(), []byte("k"))
	if !errors.Is(err, uactor.ErrWrongActor) {
		t.Fatalf("Connect to a counter as a ghost = %v; want ErrWrongActor", err)
	}
}
