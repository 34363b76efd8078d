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

// heldCheck registers a in a new registry and starts a Pick of it, whose
// check's dial waits until refuse is closed and is then refused (the actor
// not listening yet); later dials reach a listener at once. It returns once
// that first dial is under way: dials tells of each later one, and picked
// gives the first Pick's result.
func heldCheck(t *testing.T, ctx context.Context, a string) (r *Registry, dials <-chan int, refuse chan struct{}, picked <-chan Picked) {
	t.Helper()
	r, err := New(ctx, Config{ProbeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	dialed, refuse := make(chan int, 8), make(chan struct{})
	var n atomic.Int64
	r.dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		i := int(n.Add(1))
		dialed <- i
		if i > 1 {
			c, peer := net.Pipe()
			peer.Close()
			return c, nil
		}
		select {
		case <-refuse:
		case <-ctx.Done():
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}
	if _, err := r.Register(ctx, Addresses{a}); err != nil {
		t.Fatal(err)
	}
	first := make(chan Picked, 1)
	go func() {
		p, err := r.Pick(ctx, uactor.Empty{})
		if err != nil {
			t.Error(err)
		}
		first <- p
	}()
	<-dialed
	return r, dialed, refuse, first
}

// A check's verdict is on the entry it dialled: an address deregistered and
// registered again while a check of it dials is a new entry, which that
// check has not seen, so its verdict (here a refusal, from before the new
// actor listened) neither drops nor judges the new one.
func TestStaleCheckSparesEntryRegisteredAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	const a = "tcp://127.0.0.1:7001"
	r, dials, refuse, picked := heldCheck(t, ctx, a)
	for _, call := range []func(context.Context, Addresses) (int, error){r.Deregister, r.Register} {
		if n, err := call(ctx, Addresses{a}); n != 1 || err != nil {
			t.Fatalf("%d, %v; want 1, nil", n, err)
		}
	}
	// A Pick now checks the new entry: a dial of its own, not a share of
	// the old entry's, still under way.
	again := make(chan Picked, 1)
	go func() {
		p, err := r.Pick(ctx, uactor.Empty{})
		if err != nil {
			t.Error(err)
		}
		again <- p
	}()
	select {
	case <-dials:
	case <-ctx.Done():
		t.Fatal("a Pick of the address registered again shares the old entry's dial")
	}
	if p := <-again; p != (Picked{Address: a, OK: true}) {
		t.Errorf("Pick of the entry registered again = %+v; want %s", p, a)
	}
	close(refuse)
	if p := <-picked; p.OK {
		t.Errorf("Pick = %+v after its only check was refused", p)
	}
	if got, _ := r.List(ctx, uactor.Empty{}); !slices.Equal(got, Addresses{a}) {
		t.Errorf("List = %q; want %q: registered again while a check of the old entry dialled, and never checked since", got, a)
	}
}

// An address registered again while it is still registered, as a check of
// it dials, is vouched for anew ("registered again: whoever did thinks it
// lives"): a refusal the check met before that registration says nothing
// of the actor now there, and must not drop the address that Register has
// just accepted, as it does not for one deregistered and registered again.
func TestStaleCheckSparesAddressRegisteredAgainInPlace(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	const a = "tcp://127.0.0.1:7001"
	r, _, refuse, picked := heldCheck(t, ctx, a) // the check dials, before the actor listens
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
