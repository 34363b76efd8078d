package uactor_test

// An actor that spawns one of its own once its process has stopped those
// it had.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// SpawnLater starts, and does not wait for, a goroutine that spawns a
// counter a second from now (with a context of its own, as background work
// would) and writes how that went to the file at path: "closed" if Spawn
// failed with ErrClosed, "spawned <pid>" if it succeeded, else the error.
func (c *Counter) SpawnLater(ctx context.Context, path string) (uactor.Empty, error) {
	go func() {
		time.Sleep(time.Second)
		r, err := uactor.Spawn(context.Background(), CounterKind, 0, uactor.GracePeriod(5*time.Second))
		var what string
		switch {
		case errors.Is(err, uactor.ErrClosed):
			what = "closed"
		case err != nil:
			what = err.Error()
		default:
			what = fmt.Sprint("spawned ", r.PID())
		}
		os.WriteFile(path+".tmp", []byte(what), 0o600)
		os.Rename(path+".tmp", path)
	}()
	return uactor.Empty{}, nil
}

var SpawnLater = uactor.Expose(CounterKind, "spawnlater", (*Counter).SpawnLater)

// Once an actor's process, stopping, has stopped the actors it spawned, a
// Spawn there fails with ErrClosed: the actor it would start would not be
// stopped gracefully, but cut off as its owner's process exits.
func TestSpawnInStoppedActorsProcessIsErrClosed(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, uactor.GracePeriod(20*time.Second))
	// A child whose call in flight keeps r's process stopping it for a
	// while, so that r's process is still there when the late Spawn ends.
	child, err := SpawnChildRef.Call(ctx, r, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Close() })
	blocked := make(chan error, 1)
	go func() { _, err := Block.Call(ctx, child, 8*time.Second); blocked <- err }()
	waitCalls(t, ctx, child, 1)
	path := t.TempDir() + "/late"
	if _, err := SpawnLater.Call(ctx, r, path); err != nil {
		t.Fatal(err)
	}
	r.Close()
	var got string
	for got == "" {
		if b, err := os.ReadFile(path); err == nil {
			got = string(b)
		} else if ctx.Err() != nil {
			t.Fatal("the late Spawn never said how it went")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid, ok := strings.CutPrefix(got, "spawned "); ok {
		var p int
		fmt.Sscan(pid, &p)
		t.Cleanup(func() { killPID(p) })
	}
	if got != "closed" {
		t.Errorf("a Spawn in an actor's process once it has stopped its actors: %s; want ErrClosed", got)
	}
	receive(t, blocked, 30*time.Second, "the child's call never returned")
}
