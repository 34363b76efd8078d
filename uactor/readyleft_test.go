package uactor_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// envHoldReady, set in an actor's process, has it hold once it listens,
// before it reports ready (see holdReadyIfAsked).
const envHoldReady = "UACTOR_TEST_HOLD_READY"

// holdReadyIfAsked, in an actor's process started while envHoldReady is
// set, has it hold once it listens, until it is killed. TestMain calls it
// before Main, which runs the actor.
func holdReadyIfAsked() {
	if os.Getenv(envHoldReady) != "" && os.Getenv("UACTOR_KIND") != "" {
		uactor.HoldBeforeReady()
	}
}

// A first start that ends after the actor's process listens where Listen
// says, before it reports ready (Spawn's context ended then, and the
// process was killed), leaves no socket file at that path: a later Spawn
// there serves. Before, the killed process's socket stayed, and every
// later Spawn at that path failed with EADDRINUSE; a restart's start
// removes what a killed process left, but nothing did after a first start.
func TestSpawnEndedBeforeReadyFreesListenPath(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	path := filepath.Join(t.TempDir(), "a.sock")
	listen := uactor.Listen("unix://" + path)
	t.Setenv(envHoldReady, "1")
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- spawnFails(t, sctx, CounterKind, 0, listen) }()
	for {
		if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == os.ModeSocket {
			break // it listens, and holds before it reports ready
		}
		select {
		case err := <-errc:
			t.Fatalf("Spawn returned before the actor listened: %v", err)
		case <-ctx.Done():
			t.Fatal("the actor's process never listened at", path)
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := receive(t, errc, 20*time.Second, "Spawn did not return once its context ended"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Spawn = %v; want context.Canceled", err)
	}
	t.Setenv(envHoldReady, "")
	r, err := uactor.Spawn(ctx, CounterKind, 0, listen)
	if err != nil {
		t.Fatalf("Spawn at %s after a start there was cut short: %v", path, err)
	}
	t.Cleanup(func() {
		r.Close()
		assertGone(t, r.PID(), time.Second)
	})
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("Add = %d, %v; want 1", n, err)
	}
}

// A Spawn that fails because another listens at the path Listen names
// leaves that socket alone: the other actor still serves there.
func TestSpawnAtPathInUseLeavesItsSocket(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	path := filepath.Join(t.TempDir(), "a.sock")
	listen := uactor.Listen("unix://" + path)
	other := host(t, ctx, CounterKind, &Counter{}, listen)
	if err := spawnFails(t, ctx, CounterKind, 0, listen); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("Spawn at a path in use = %v; want EADDRINUSE", err)
	}
	if n, err := Add.Call(ctx, copyRef(t, other), 1); err != nil || n != 1 {
		t.Fatalf("the actor already at the path: Add = %d, %v; want 1", n, err)
	}
}
