package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// gatedKind is an actor whose restarts wait, in its constructor (so before
// it listens again), until the file "open" is in the directory its spawn
// argument names: while it waits, dials of its address are refused.
var (
	gatedKind = uactor.Define("registry_test.gated", func(ctx context.Context, dir string) (*worker, error) {
		f, err := os.OpenFile(filepath.Join(dir, "started"), os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil { // the first start
			f.Close()
			return &worker{name: "gated"}, nil
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "open")); err == nil {
				return &worker{name: "gated"}, nil
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	gatedHit = uactor.Expose(gatedKind, "hit", (*worker).Hit)
)

// spawnGated spawns a gatedKind actor, supervised with Restart, on
// loopback TCP or on a Unix socket in its private directory, and returns it
// with the directory whose "open" file lets its restarts through. It stops
// with the test.
func spawnGated(t *testing.T, ctx context.Context, network string) (uactor.Ref[*worker], string) {
	t.Helper()
	dir := t.TempDir()
	opts := []uactor.Option{uactor.AuthKey(testKey), uactor.Restart(5, 0)}
	if network == "tcp" {
		opts = append(opts, uactor.Listen("tcp://127.0.0.1:0"))
	}
	r, err := uactor.Spawn(ctx, gatedKind, dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dir
}

// crash SIGKILLs r's process and waits until it is reaped: its listener
// is closed, and its restart (if any) has not listened yet if gated.
func crash[A any](t *testing.T, r uactor.Ref[A]) {
	t.Helper()
	pid := r.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("process %d still there after SIGKILL", pid)
		}
	}
}

// An actor supervised with Restart comes back at its address: a check that
// finds its address refused while it restarts, having found it alive
// before, does not drop it, as a ref does not give up on it. Pick does not
// hand it out meanwhile, and hands it out again once it is back. Once its
// owner closes it, a Unix socket's directory goes with it: that drops it
// at once.
func TestRegistryKeepsRestartingActor(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) { testRegistryKeepsRestartingActor(t, network) })
	}
}

func testRegistryKeepsRestartingActor(t *testing.T, network string) {
	ctx := testCtx(t, 30*time.Second)
	ref, dir := spawnGated(t, ctx, network)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1, DialTimeout: 20 * time.Second})
	a := ref.Address()
	register(t, ctx, reg, a)
	if got := picks(t, ctx, reg, 1); !slices.Equal(got, []string{a}) {
		t.Fatalf("pick of the live actor: %v", got)
	}
	crash(t, ref)
	if n, err := registry.Probe.Call(ctx, reg, uactor.Empty{}); err != nil || n != 0 {
		t.Errorf("Probe while the actor restarts = %d, %v; want 0 dropped", n, err)
	}
	if got := picks(t, ctx, reg, 2); !slices.Equal(got, []string{"-", "-"}) {
		t.Errorf("picks while the actor restarts: %v; want none", got)
	}
	expectList(t, ctx, reg, "while the actor restarts", a)
	if err := os.WriteFile(filepath.Join(dir, "open"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := gatedHit.Call(ctx, ref, uactor.Empty{}); err != nil {
		t.Fatalf("a call once the restart is let through: %v", err)
	}
	if got := picks(t, ctx, reg, 2); !slices.Equal(got, []string{a, a}) {
		t.Fatalf("picks once the actor is back: %v; want it", got)
	}
	if network == "unix" {
		ref.Close()
		if n, err := registry.Probe.Call(ctx, reg, uactor.Empty{}); err != nil || n != 1 {
			t.Errorf("Probe once the owner closed the actor = %d, %v; want 1 dropped", n, err)
		}
	}
}

// An actor found alive once, and refused since for longer than the
// registry's DialTimeout, is gone: the first check that finds it refused
// past that drops it. One never found alive is dropped at its first refusal.
func TestRegistryDropsActorRefusedPastDialTimeout(t *testing.T) {
	const grace = 200 * time.Millisecond
	ctx := testCtx(t, 30*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1, DialTimeout: grace})
	seen, never := listen(t, "tcp"), listen(t, "tcp")
	register(t, ctx, reg, seen.addr)
	if got := picks(t, ctx, reg, 1); !slices.Equal(got, []string{seen.addr}) {
		t.Fatalf("pick of the live listener: %v", got)
	}
	register(t, ctx, reg, never.addr)
	seen.close()
	never.close()
	if n, err := registry.Probe.Call(ctx, reg, uactor.Empty{}); err != nil || n != 1 {
		t.Fatalf("first Probe after both closed = %d, %v; want 1 dropped (the one never found alive)", n, err)
	}
	expectList(t, ctx, reg, "after the first refusals", seen.addr)
	for {
		n, err := registry.Probe.Call(ctx, reg, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the listener refused past DialTimeout was never dropped")
		case <-time.After(20 * time.Millisecond):
		}
	}
	expectList(t, ctx, reg, "once refused past DialTimeout")
}

// An actor back from a restart is handed out again by the Picks that
// follow, not only once the periodic probe (here an hour away) checks it:
// a refused dial is no silent host, whose check would cost a Pick its
// DialTimeout, so Picks keep checking it in its turn.
func TestRestartedActorPickedBeforeTheProbe(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	ref, dir := spawnGated(t, ctx, "tcp")
	live := listen(t, "tcp").addr
	reg := hostRegistry(t, registry.Config{ProbeInterval: time.Hour, DialTimeout: 20 * time.Second})
	a := ref.Address()
	register(t, ctx, reg, a, live)
	if got := picks(t, ctx, reg, 2); !slices.Equal(got, []string{a, live}) {
		t.Fatalf("picks of the live actors: %v", got)
	}
	crash(t, ref)
	if got := picks(t, ctx, reg, 2); !slices.Equal(got, []string{live, live}) {
		t.Fatalf("picks while the actor restarts: %v; want the other", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "open"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := gatedHit.Call(ctx, ref, uactor.Empty{}); err != nil {
		t.Fatalf("a call once the restart is let through: %v", err)
	}
	if got := picks(t, ctx, reg, 4); !slices.Contains(got, a) {
		t.Fatalf("picks once the actor is back: %v; want it among them", got)
	}
}
