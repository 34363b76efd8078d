package uactor_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// A ref that names a Unix socket of another host (received from a process
// there: its path, directory and all, does not exist on this one) fails at
// once as a ref to a gone actor does, and says why it may be: nothing
// listens at that path on this host, and unix:// refs reach only actors on
// the same host.
func TestRefToOtherHostsUnixSocket(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx)
	const path = "/nonexistent-uactor-host/uactor-1/actor.sock"
	elsewhere, _ := forgeRef(t, r, "unix://"+path)
	_, err := Add.Call(ctx, elsewhere, 1)
	if !errors.Is(err, uactor.ErrActorDied) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a call through a ref to %s: %v; want ErrActorDied and ErrNotExist", path, err)
	}
	for _, want := range []string{path, "nothing listens at that path on this host", "unix:// refs reach only actors on the same host"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("a call through a ref to %s: %q; want it to say %q", path, err, want)
		}
	}
}
