package registry

import (
	"context"
	"net"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// An address registered again while it is still registered, as a check of
// it dials, is vouched for anew ("registered again: whoever did thinks it
// lives"): a refusal the check met before that registration says nothing
// of the actor now there, and must not drop the address that Register has
// just accepted, as it does not for one deregistered and registered again
// (TestStaleCheckSparesEntryRegisteredAgain).
func TestStaleCheckSparesAddressRegisteredAgainInPlace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	r, err := New(ctx, Config{ProbeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	dials, refuse := make(chan int, 8), make(chan struct{})
	var n atomic.Int64
	r.dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		dials <- int(n.Add(1))
		select {
		case <-refuse:
		case <-ctx.Done():
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	const a = "tcp://127.0.0.1:7001"
	if _, err := r.Register(ctx, Addresses{a}); err != nil {
		t.Fatal(err)
	}
	picked := make(chan Picked, 1)
	go func() {
		p, err := r.Pick(ctx, uactor.Empty{})
		if err != nil {
			t.Error(err)
		}
		picked <- p
	}()
	<-dials // the check dials, before the actor listens
	// Now it listens, and its registrant says so.
	if _, err := r.Register(ctx, Addresses{a}); err != nil {
		t.Fatal(err)
	}
	close(refuse) // the refusal of the dial from before
	<-picked
	if got, _ := r.List(ctx, uactor.Empty{}); !slices.Equal(got, Addresses{a}) {
		t.Errorf("List = %q; want %q: registered again while a check dialled, and never checked since", got, a)
	}
}
