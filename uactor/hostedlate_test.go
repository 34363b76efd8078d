package uactor_test

// An actor whose goroutine hosts a value once its process has stopped
// those it hosted.

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// HostLater starts, and does not wait for, a goroutine that hosts a
// counter a second from now (with a context of its own, as background
// work would) and writes how that went to the file at path: "closed" if
// Host failed with ErrClosed, "hosted" if it succeeded, else the error.
func (c *Counter) HostLater(ctx context.Context, path string) (uactor.Empty, error) {
	go func() {
		time.Sleep(time.Second)
		r, err := uactor.Host(context.Background(), CounterKind, &Counter{})
		var what string
		switch {
		case errors.Is(err, uactor.ErrClosed):
			what = "closed"
		case err != nil:
			what = err.Error()
		default:
			what = "hosted"
			defer r.Close()
		}
		os.WriteFile(path+".tmp", []byte(what), 0o600)
		os.Rename(path+".tmp", path)
	}()
	return uactor.Empty{}, nil
}

var HostLater = uactor.Expose(CounterKind, "hostlater", (*Counter).HostLater)

// Once an actor's process, stopping, has stopped the values it hosts, a
// Host there fails with ErrClosed: the value it would serve would not be
// stopped gracefully, but cut off as the process exits.
func TestHostInStoppedActorsProcessIsErrClosed(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, uactor.GracePeriod(20*time.Second))
	// A child whose call in flight keeps r's process stopping it for a
	// while, so that r's process is still there when the late Host ends.
	child, err := SpawnChildRef.Call(ctx, r, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Close() })
	blocked := make(chan error, 1)
	go func() { _, err := Block.Call(ctx, child, 8*time.Second); blocked <- err }()
	waitCalls(t, ctx, child, 1)
	path := t.TempDir() + "/late"
	if _, err := HostLater.Call(ctx, r, path); err != nil {
		t.Fatal(err)
	}
	r.Close()
	var got string
	for got == "" {
		if b, err := os.ReadFile(path); err == nil {
			got = string(b)
		} else if ctx.Err() != nil {
			t.Fatal("the late Host never said how it went")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got != "closed" {
		t.Errorf("a Host in an actor's process once it has stopped its hosted values: %s; want ErrClosed", got)
	}
	receive(t, blocked, 30*time.Second, "the child's call never returned")
}
