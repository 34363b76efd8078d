package uactor

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The ref Host returned tells when its value is gone: when the process
// stops the values it hosts (an actor's process, as it stops), Done
// closes and Err wraps ErrClosed, as for a ref whose actor is found gone,
// and calls through the ref fail with ErrClosed too.
func TestHostedRefEndsWhenItsProcessStopsIt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	r, err := Host(ctx, sleeperKind, sleeper{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		hostedServers.Lock()
		hostedServers.closed = false // Host works again for the tests after
		hostedServers.Unlock()
	})
	if err := r.Err(); err != nil {
		t.Fatalf("Err of a served value's ref: %v", err)
	}
	stopHosted(time.Second)
	select {
	case <-r.Done():
	default:
		t.Fatal("Done of the ref Host returned is open after its value was stopped")
	}
	if err := r.Err(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Err of the ref Host returned after its value was stopped: %v; want ErrClosed", err)
	}
	// A call afterwards fails as Err says, as one through an owner's ref
	// to a spawned actor that its process stopped does: not with the
	// dial of a socket that was removed.
	for i := range 2 {
		if _, err := sleepM.Call(ctx, r, 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("call %d on a stopped value: %v; want ErrClosed", i+1, err)
		}
	}
}
