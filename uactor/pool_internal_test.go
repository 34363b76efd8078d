package uactor

import (
	"context"
	"errors"
	"testing"
	"time"
)

type sleeper struct{}

func (sleeper) Sleep(ctx context.Context, d time.Duration) (Empty, error) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	return Empty{}, nil
}

var (
	sleeperKind = Define("pool-test-sleeper", func(ctx context.Context, _ Empty) (sleeper, error) { return sleeper{}, nil })
	sleepM      = Expose(sleeperKind, "sleep", sleeper.Sleep)
)

// hostedSleeper hosts a sleeper on loopback TCP for the test, and returns
// a function that connects a new ref to it.
func hostedSleeper(t *testing.T) (context.Context, Ref[sleeper], func() Ref[sleeper]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	owner, err := Host(ctx, sleeperKind, sleeper{}, Listen("tcp://127.0.0.1:0"), AuthKey([]byte("k")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	return ctx, owner, func() Ref[sleeper] {
		r, err := Connect(ctx, sleeperKind, owner.Address(), []byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
}

func TestRefsShareOneConnection(t *testing.T) {
	_, owner, connect := hostedSleeper(t)
	a, b := connect(), connect()
	if a.h.peer != b.h.peer || a.h.peer.cur.Load() == nil || a.h.peer.cur.Load() != b.h.peer.cur.Load() {
		t.Fatal("two refs to one address do not share one connection")
	}
	srv := owner.h.owner.(*server)
	srv.mu.Lock()
	got := len(srv.conns)
	srv.mu.Unlock()
	if got != 1 { // the owner's ref has not called, so has not dialled
		t.Fatalf("actor has %d connections; want the one shared", got)
	}
}

// A connection option given its default value, or any other value that
// sets the connection up the same way, keys the same connection as none:
// Connect's refs share a connection when their settings are the same.
func TestEqualConnectionOptionsShareOneConnection(t *testing.T) {
	d := defaultOptions()
	for _, c := range []struct {
		name string
		a, b []Option
	}{
		{"Sealed(true)", nil, []Option{Sealed(true)}},
		{"MaxFrameSize default", nil, []Option{MaxFrameSize(d.maxFrame)}},
		{"HandshakeTimeout default", nil, []Option{HandshakeTimeout(d.handshake)}},
		{"DialTimeout default", nil, []Option{DialTimeout(d.dialTimeout)}},
		{"WriteTimeout default", nil, []Option{WriteTimeout(d.write)}},
		{"Keepalive default", nil, []Option{Keepalive(d.keepalive)}},
		{"MaxInFlight default", nil, []Option{MaxInFlight(d.inflight)}},
		{"ConnBuffer default", nil, []Option{ConnBuffer(d.connBuffer)}},
		{"Compression(0)", nil, []Option{Compression(0)}},
		{"Spin default", nil, []Option{Spin(d.spin)}},
		{"Logger(nil)", nil, []Option{Logger(nil)}},
		{"Compression refused either way", []Option{Compression(-1)}, []Option{Compression(-100)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, owner, _ := hostedSleeper(t)
			var refs [2]Ref[sleeper]
			for i, opts := range [][]Option{c.a, c.b} {
				r, err := Connect(ctx, sleeperKind, owner.Address(), []byte("k"), opts...)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { r.Close() })
				refs[i] = r
			}
			if refs[0].h.peer != refs[1].h.peer {
				t.Fatal("the two refs have a connection each")
			}
			srv := owner.h.owner.(*server)
			srv.mu.Lock()
			got := len(srv.conns)
			srv.mu.Unlock()
			if got != 1 {
				t.Fatalf("actor has %d connections; want the one shared", got)
			}
		})
	}
}

// A dropped connection to a live actor is re-dialled on the next call; the
// call that was in flight when it dropped fails and is not retried.
func TestRedialAfterDrop(t *testing.T) {
	ctx, _, connect := hostedSleeper(t)
	r := connect()
	inFlight := make(chan error, 1)
	go func() { _, err := sleepM.Call(ctx, r, 10*time.Second); inFlight <- err }()
	before := r.h.peer.cur.Load()
	for pending := 0; pending == 0; { // until the call is on the connection
		if ctx.Err() != nil {
			t.Fatal("the call never went out")
		}
		time.Sleep(time.Millisecond)
		before.mu.Lock()
		pending = before.pending.len()
		before.mu.Unlock()
	}
	before.nc.Close() // the network drops the connection
	if err := <-inFlight; !errors.Is(err, ErrActorDied) {
		t.Fatalf("call in flight on a dropped connection = %v; want ErrActorDied", err)
	}
	if _, err := sleepM.Call(ctx, r, 0); err != nil {
		t.Fatalf("call after the drop: %v; want a fresh connection", err)
	}
	if r.h.peer.cur.Load() == before {
		t.Fatal("the broken connection was reused")
	}
}
