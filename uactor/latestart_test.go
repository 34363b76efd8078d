package uactor_test

// An actor's goroutine that spawns an actor, or hosts a value, once its
// process, stopping, has stopped those it had: either fails with
// ErrClosed, since what it would start would not be stopped gracefully,
// but cut off as the process exits.

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

// later starts, and does not wait for, a goroutine that runs start a
// second from now (with a context of its own, as background work would)
// and writes how that went to the file at path: "closed" if start failed
// with ErrClosed, what start returned if it succeeded, else the error.
func later(path string, start func(context.Context) (string, error)) {
	go func() {
		time.Sleep(time.Second)
		what, err := start(context.Background())
		switch {
		case errors.Is(err, uactor.ErrClosed):
			what = "closed"
		case err != nil:
			what = err.Error()
		}
		os.WriteFile(path+".tmp", []byte(what), 0o600)
		os.Rename(path+".tmp", path)
	}()
}

// SpawnLater spawns a counter later: "spawned <pid>" if it could.
func (c *Counter) SpawnLater(ctx context.Context, path string) (uactor.Empty, error) {
	later(path, func(ctx context.Context) (string, error) {
		r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(5*time.Second))
		if err != nil {
			return "", err
		}
		return fmt.Sprint("spawned ", r.PID()), nil
	})
	return uactor.Empty{}, nil
}

// HostLater hosts a counter later: "hosted" if it could.
func (c *Counter) HostLater(ctx context.Context, path string) (uactor.Empty, error) {
	later(path, func(ctx context.Context) (string, error) {
		r, err := uactor.Host(ctx, CounterKind, &Counter{})
		if err != nil {
			return "", err
		}
		defer r.Close()
		return "hosted", nil
	})
	return uactor.Empty{}, nil
}

var (
	SpawnLater = uactor.Expose(CounterKind, "spawnlater", (*Counter).SpawnLater)
	HostLater  = uactor.Expose(CounterKind, "hostlater", (*Counter).HostLater)
)

// startLate has an actor whose process will be stopping for a while (a
// child of its has a call in flight) call m, then closes it, and returns
// what m's goroutine wrote.
func startLate(t *testing.T, m uactor.Method[*Counter, string, uactor.Empty]) string {
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, uactor.GracePeriod(20*time.Second))
	// A child whose call in flight keeps r's process stopping it for a
	// while, so that r's process is still there when the late start ends.
	child, err := SpawnChildRef.Call(ctx, r, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Close() })
	blocked := make(chan error, 1)
	go func() { _, err := Block.Call(ctx, child, 8*time.Second); blocked <- err }()
	waitCalls(t, ctx, child, 1)
	path := t.TempDir() + "/late"
	if _, err := m.Call(ctx, r, path); err != nil {
		t.Fatal(err)
	}
	r.Close()
	var got string
	for got == "" {
		if b, err := os.ReadFile(path); err == nil {
			got = string(b)
		} else if ctx.Err() != nil {
			t.Fatalf("the late %s never said how it went", m.Name())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pid, ok := strings.CutPrefix(got, "spawned "); ok {
		var p int
		fmt.Sscan(pid, &p)
		t.Cleanup(func() { killPID(p) })
	}
	receive(t, blocked, 30*time.Second, "the child's call never returned")
	return got
}

func TestSpawnInStoppedActorsProcessIsErrClosed(t *testing.T) {
	parallel(t) // most of its time is a child's call that holds its owner's stop
	if got := startLate(t, SpawnLater); got != "closed" {
		t.Errorf("a Spawn in an actor's process once it has stopped its actors: %s; want ErrClosed", got)
	}
}

func TestHostInStoppedActorsProcessIsErrClosed(t *testing.T) {
	parallel(t)
	if got := startLate(t, HostLater); got != "closed" {
		t.Errorf("a Host in an actor's process once it has stopped its hosted values: %s; want ErrClosed", got)
	}
}
