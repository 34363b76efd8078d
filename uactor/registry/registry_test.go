package registry_test

import (
	"context"
	"errors"
	"math"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// Pick cycles over the registered addresses in registration order.
func TestPickRoundRobin(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{})
	_, a := listeners(t, 3)
	if n := register(t, ctx, reg, a...); n != 3 {
		t.Fatalf("Register returned %d, want 3", n)
	}
	got := picks(t, ctx, reg, 7)
	want := []string{a[0], a[1], a[2], a[0], a[1], a[2], a[0]}
	if !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v", got, want)
	}
}

// Registering an address again, in any spelling, does not duplicate it nor
// restart the cycle; new addresses join its end.
func TestRegisterDedupe(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{})
	_, a := listeners(t, 3)
	plain := strings.TrimPrefix(a[0], "tcp://")
	if n := register(t, ctx, reg, a[0], a[0], plain, a[1]); n != 2 {
		t.Fatalf("Register returned %d, want 2", n)
	}
	if got := picks(t, ctx, reg, 1); got[0] != a[0] {
		t.Fatalf("first pick %v, want %s", got, a[0])
	}
	if n := register(t, ctx, reg, plain, a[2], a[1]); n != 1 {
		t.Fatalf("Register again returned %d, want 1", n)
	}
	expectList(t, ctx, reg, "after registering again", a...)
	want := []string{a[1], a[2], a[0], a[1]}
	if got := picks(t, ctx, reg, 4); !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v", got, want)
	}
}

// Deregister removes addresses; the cycle carries on with the ones left.
func TestDeregister(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{})
	_, a := listeners(t, 4)
	register(t, ctx, reg, a...)
	picks(t, ctx, reg, 1) // a0; a1 is next
	n, err := registry.Deregister.Call(ctx, reg, registry.Addresses{a[1], "tcp://127.0.0.1:1", "nonsense"})
	if err != nil || n != 1 {
		t.Fatalf("Deregister = %d, %v; want 1, nil", n, err)
	}
	want := []string{a[2], a[3], a[0], a[2]}
	if got := picks(t, ctx, reg, 4); !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v", got, want)
	}
	// a3 is under the cursor: the cycle goes on with a0.
	if n, err := registry.Deregister.Call(ctx, reg, registry.Addresses{a[3]}); err != nil || n != 1 {
		t.Fatalf("Deregister = %d, %v; want 1, nil", n, err)
	}
	want = []string{a[0], a[2], a[0]}
	if got := picks(t, ctx, reg, 3); !slices.Equal(got, want) {
		t.Fatalf("picks %v, want %v", got, want)
	}
	registry.Deregister.Call(ctx, reg, registry.Addresses{a[0], a[2]})
	if got := picks(t, ctx, reg, 1); got[0] != "-" {
		t.Fatalf("pick after deregistering all: %v", got)
	}
}

// An empty registry answers OK false, not an error.
func TestPickEmpty(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{})
	p, err := registry.Pick.Call(ctx, reg, uactor.Empty{})
	if err != nil || p.OK || p.Address != "" {
		t.Fatalf("Pick on an empty registry = %+v, %v", p, err)
	}
	expectList(t, ctx, reg, "of an empty registry")
}

// A bad address fails the whole Register with ErrBadAddress, across the
// wire: one that Parse reads, but whose host is no IP literal and no host
// name, too.
func TestRegisterBadAddress(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{})
	_, a := listeners(t, 1)
	for _, bad := range []string{"", "localhost", "tcp://127.0.0.1:0", "tcp://:5000", "http://x:1", "unix://", "unix://rel.sock", strings.Repeat("x", 2000) + ":1",
		// hosts that no host name spells, and no actor listens at
		"tcp://a b:80", "tcp://a/b:80", "tcp://x\x00y:80", "tcp://x\ny:80", "tcp://[::1%]:80", "tcp://%:80"} {
		_, err := registry.Register.Call(ctx, reg, registry.Addresses{a[0], bad})
		if !errors.Is(err, registry.ErrBadAddress) {
			t.Errorf("Register(%.20q): %v; want ErrBadAddress", bad, err)
		}
	}
	expectList(t, ctx, reg, "after the failed Registers")
}

// A registry holds at most MaxEntries addresses: a Register that would take
// it past refuses all of its addresses with ErrFull, across processes too,
// and a Register or Deregister naming more than four times as many is
// refused before anything is made for them, however many it names.
func TestRegisterFull(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1, MaxEntries: 3})
	_, a := listeners(t, 5)
	if n := register(t, ctx, reg, a[0], a[1]); n != 2 {
		t.Fatalf("Register = %d; want 2", n)
	}
	if n := register(t, ctx, reg, a[1], a[2], a[2]); n != 1 {
		t.Fatalf("Register of one new address, named twice, and one held = %d; want 1", n)
	}
	for _, addrs := range []registry.Addresses{{a[3]}, {a[0], a[4]}, {a[0], a[1], a[2], a[3]}} {
		if n, err := registry.Register.Call(ctx, reg, addrs); !errors.Is(err, registry.ErrFull) || n != 0 {
			t.Errorf("Register(%v) on a full registry = %d, %v; want ErrFull", addrs, n, err)
		}
	}
	expectList(t, ctx, reg, "after the refused Registers", a[0], a[1], a[2])
	held := registry.Addresses{a[0], a[2], a[0], strings.TrimPrefix(a[2], "tcp://"), a[1]}
	if n := register(t, ctx, reg, held...); n != 0 { // more names than MaxEntries, none new
		t.Fatalf("Register of held addresses = %d; want 0", n)
	}
	if n, err := registry.Register.Call(ctx, reg, slices.Repeat(registry.Addresses{a[0]}, 13)); !errors.Is(err, registry.ErrFull) || n != 0 {
		t.Errorf("Register naming one held address 13 times, MaxEntries 3: %d, %v; want ErrFull", n, err)
	}

	r, err := registry.New(ctx, registry.Config{ProbeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	many := make(registry.Addresses, 4<<20) // what a frame of empty strings decodes to
	for _, c := range []struct {
		name string
		call func(context.Context, registry.Addresses) (int, error)
	}{{"Register", r.Register}, {"Deregister", r.Deregister}} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = c.call(ctx, many)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, registry.ErrFull) {
			t.Fatalf("%s of %d addresses: %v; want ErrFull", c.name, len(many), err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Fatalf("%s of %d addresses allocated %d KiB before refusing them", c.name, len(many), got>>10)
		}
	}

	// Four times a MaxEntries this large is past the largest int: no
	// call is too long, rather than every one.
	huge, err := registry.New(ctx, registry.Config{ProbeInterval: -1, MaxEntries: math.MaxInt/4 + 1})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := huge.Register(ctx, a[:2]); n != 2 || err != nil {
		t.Fatalf("Register with MaxEntries %d = %d, %v; want 2", math.MaxInt/4+1, n, err)
	}
	if n, err := huge.Deregister(ctx, a[:1]); n != 1 || err != nil {
		t.Fatalf("Deregister with MaxEntries %d = %d, %v; want 1", math.MaxInt/4+1, n, err)
	}
}

// Addresses are kept in canonical form.
func TestCanonicalAddresses(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{})
	register(t, ctx, reg, "LocalHost:0080", "tcp://[::0001]:5000", "unix:///tmp//x/../y.sock", "unix://@abstract")
	want := registry.Addresses{"tcp://localhost:80", "tcp://[::1]:5000", "unix:///tmp/y.sock", "unix://@abstract"}
	expectList(t, ctx, reg, "in canonical form", want...)
}

// New refuses a nonsensical Config; Spawn reports the constructor's error.
func TestBadConfig(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	for _, cfg := range []registry.Config{{ProbeInterval: time.Millisecond}, {DialTimeout: -1}, {MaxEntries: -1}} {
		if _, err := registry.New(ctx, cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	if r, err := uactor.Spawn(ctx, registry.Kind, registry.Config{ProbeInterval: time.Millisecond}); err == nil {
		r.Close()
		t.Fatal("Spawn with a bad Config succeeded")
	} else if !strings.Contains(err.Error(), "ProbeInterval") {
		t.Fatalf("Spawn: %v", err)
	}
}

// The registry as a real actor process, its Config travelling with Spawn:
// its probe drops an actor that died.
func TestSpawnedRegistry(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	reg, err := uactor.Spawn(ctx, registry.Kind, registry.Config{ProbeInterval: 20 * time.Millisecond},
		uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	remote, err := uactor.Connect(ctx, registry.Kind, reg.Address(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	ls, a := listeners(t, 2)
	register(t, ctx, remote, a...)
	if got := picks(t, ctx, remote, 3); !slices.Equal(got, []string{a[0], a[1], a[0]}) {
		t.Fatalf("picks %v", got)
	}
	ls[0].close()
	waitList(t, ctx, remote, a[1:])
}

// waitList waits (within ctx) for the registry to list want.
func waitList(t *testing.T, ctx context.Context, reg uactor.Ref[*registry.Registry], want registry.Addresses) {
	t.Helper()
	for {
		got := list(t, ctx, reg)
		if slices.Equal(got, want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("List %v, want %v", got, want)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// One actor registered under its IPv4 address and under that address
// IPv4-mapped (as an IPv6 listener or resolver may report it) is one
// entry: the standard library dials both over IPv4, to the same listener.
func TestRegisterMappedIPv4IsOneEntry(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1})
	l := listen(t, "tcp")
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(l.addr, "tcp://"))
	if n := register(t, ctx, reg, l.addr, "tcp://[::ffff:127.0.0.1]:"+p); n != 1 {
		t.Fatalf("Register of one address in two spellings added %d entries: %q", n, list(t, ctx, reg))
	}
}

// New refuses a Config that makes no sense, and takes its edges and its
// "off" values.
func TestNewRefusesConfig(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // stops the probes of the registries made
	cases := []struct {
		name string
		cfg  registry.Config
		ok   bool
	}{
		{"zero", registry.Config{}, true},
		{"probe off", registry.Config{ProbeInterval: -1}, true},
		{"probe at the minimum", registry.Config{ProbeInterval: registry.MinProbeInterval}, true},
		{"probe below the minimum", registry.Config{ProbeInterval: registry.MinProbeInterval - 1}, false},
		{"negative DialTimeout", registry.Config{DialTimeout: -1}, false},
		{"negative MaxEntries", registry.Config{MaxEntries: -1}, false},
	}
	for _, c := range cases {
		_, err := registry.New(ctx, c.cfg)
		if (err == nil) != c.ok {
			t.Errorf("%s: New(%+v) = %v; want ok %v", c.name, c.cfg, err, c.ok)
		}
	}
}
