package registry_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/dnstest"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

const srvName = "_worker._tcp.uactor.test"

// tcpWorkers serves n workers named w0… on loopback TCP, and returns them
// with their ports.
func tcpWorkers(t *testing.T, n int) ([]uactor.Ref[*worker], []uint16) {
	t.Helper()
	ctx := testCtx(t, time.Minute)
	refs := make([]uactor.Ref[*worker], n)
	ports := make([]uint16, n)
	for i := range refs {
		r, err := uactor.Host(ctx, workerKind, &worker{name: "w" + strconv.Itoa(i)},
			uactor.AuthKey(testKey), uactor.Listen("tcp://127.0.0.1:0"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		ap, err := netip.ParseAddrPort(r.Address()[len("tcp://"):])
		if err != nil {
			t.Fatal(err)
		}
		refs[i], ports[i] = r, ap.Port()
	}
	return refs, ports
}

// zone lists one SRV record per port, at priorities 0, 1, 2… in that order,
// all with the target w.uactor.test, on loopback.
func zone(ports ...uint16) dnstest.Zone {
	z := dnstest.Zone{Domain: "uactor.test", Hosts: map[string]netip.Addr{"w.uactor.test": netip.MustParseAddr("127.0.0.1")}}
	for i, p := range ports {
		z.SRV = append(z.SRV, dnstest.SRV{Name: srvName, Target: "w.uactor.test", Port: p, Priority: uint16(i)})
	}
	return z
}

func addrsOf(ports ...uint16) registry.Addresses {
	var out registry.Addresses
	for _, p := range ports {
		out = append(out, "tcp://127.0.0.1:"+strconv.Itoa(int(p)))
	}
	return out
}

// SRV lists the targets of a real DNS server's answer, resolved, in
// priority order; a name with no records lists none.
func TestSRVLookup(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	dns := dnstest.Start(t, netip.MustParseAddrPort("127.0.0.1:0"), zone(7001, 7002, 7003), nil)
	src := registry.SRV{Name: srvName, Resolver: dns.Resolver()}
	got, err := src.Lookup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := addrsOf(7001, 7002, 7003); !slices.Equal(got, want) {
		t.Fatalf("Lookup = %v; want %v", got, want)
	}
	none := registry.SRV{Name: "_none._tcp.uactor.test", Resolver: dns.Resolver()}
	if got, err := none.Lookup(ctx); err != nil || len(got) != 0 {
		t.Fatalf("a name without records: %v, %v; want none, no error", got, err)
	}
	if _, err := registry.ConnectFrom(ctx, none, workerKind, testKey); !errors.Is(err, registry.ErrNoActors) {
		t.Fatalf("ConnectFrom with no records: %v; want ErrNoActors", err)
	}
	// A server that does not answer is an error, not an empty list.
	silent := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return nil, errors.New("no server")
	}}
	if _, err := (registry.SRV{Name: srvName, Resolver: silent}).Lookup(ctx); err == nil {
		t.Fatal("Lookup without a DNS server succeeded")
	}
}

// ConnectFrom connects to the most preferred target that answers.
func TestConnectFromSRV(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	_, ports := tcpWorkers(t, 2)
	dead := listen(t, "tcp")
	dead.close()
	deadAP, _ := netip.ParseAddrPort(dead.addr[len("tcp://"):])
	dns := dnstest.Start(t, netip.MustParseAddrPort("127.0.0.1:0"), zone(deadAP.Port(), ports[1], ports[0]), nil)
	ref, err := registry.ConnectFrom(ctx, registry.SRV{Name: srvName, Resolver: dns.Resolver()}, workerKind, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if name, err := hit.Call(ctx, ref, uactor.Empty{}); err != nil || name != "w1" {
		t.Fatalf("reached %q, %v; want w1, the preferred target that answers", name, err)
	}
}

// A pool from SRV records spreads calls over every target, and follows
// the answer as it changes: targets that leave it leave the pool, new ones
// join.
func TestPoolFromSRVFollowsAnswer(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	_, ports := tcpWorkers(t, 3)
	dns := dnstest.Start(t, netip.MustParseAddrPort("127.0.0.1:0"), zone(ports[0], ports[1]), nil)
	src := registry.SRV{Name: srvName, Resolver: dns.Resolver()}
	pool, err := registry.PoolFrom(ctx, src, 100*time.Millisecond, workerKind, testKey, hit)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if got, want := pool.Addresses(), addrsOf(ports[0], ports[1]); !slices.Equal(got, []string(want)) {
		t.Fatalf("pool of %v; want %v", got, want)
	}
	if got := calls(t, pool, 4); !slices.Equal(got, []string{"w0", "w1", "w0", "w1"}) {
		t.Fatalf("calls went to %v", got)
	}

	dns.Update(zone(ports[2], ports[1]))
	want := addrsOf(ports[2], ports[1])
	for end := time.Now().Add(20 * time.Second); !slices.Equal(pool.Addresses(), []string(want)); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("after the answer changed, the pool still has %v; want %v", pool.Addresses(), want)
		}
	}
	got := calls(t, pool, 6)
	slices.Sort(got)
	if want := []string{"w1", "w1", "w1", "w2", "w2", "w2"}; !slices.Equal(got, want) {
		t.Fatalf("calls went to %v; want %v", got, want)
	}

	// An empty answer empties the pool; Refresh says why.
	dns.Update(zone())
	if err := pool.Refresh(ctx); !errors.Is(err, registry.ErrNoActors) {
		t.Fatalf("Refresh of an empty answer: %v; want ErrNoActors", err)
	}
	if _, err := pool.Handle(ctx, uactor.Empty{}); !errors.Is(err, registry.ErrNoActors) {
		t.Fatalf("call on an empty pool: %v", err)
	}
	pool.Close()
	if err := pool.Refresh(ctx); !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("Refresh after Close: %v", err)
	}
}

// A target whose name is not a host name is left out, as the resolver
// leaves it out; the answer's other targets are still listed.
func TestSRVSkipsInvalidTarget(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	z := zone(7001, 7002)
	z.SRV[0].Target = "bad!name.uactor.test"
	dns := dnstest.Start(t, netip.MustParseAddrPort("127.0.0.1:0"), z, nil)
	got, err := registry.SRV{Name: srvName, Resolver: dns.Resolver()}.Lookup(ctx)
	if err != nil || !slices.Equal(got, addrsOf(7002)) {
		t.Fatalf("Lookup = %v, %v; want %v", got, err, addrsOf(7002))
	}
}

// SRV lists actors' addresses: a record with port 0 names no actor (no
// actor listens on port 0, and the registry refuses "host:0" as not an
// actor's address), so it is left out, and the answer's other records
// still serve.
func TestSRVLeavesOutPortZero(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	z := zone(7001, 0)
	z.SRV = append(z.SRV, dnstest.SRV{Name: "_zero._tcp.uactor.test", Target: "w.uactor.test", Port: 0})
	dns := dnstest.Start(t, netip.MustParseAddrPort("127.0.0.1:0"), z, nil)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1})
	for _, c := range []struct {
		name string
		want registry.Addresses
	}{
		{srvName, addrsOf(7001)},
		{"_zero._tcp.uactor.test", nil},
	} {
		got, err := registry.SRV{Name: c.name, Resolver: dns.Resolver()}.Lookup(ctx)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Lookup(%s) = %q, %v; want %q", c.name, got, err, c.want)
		}
		for _, a := range got {
			if _, err := registry.Register.Call(ctx, reg, registry.Addresses{a}); err != nil {
				t.Errorf("SRV listed %q, which the registry refuses: %v", a, err)
			}
		}
	}
}

// An answer whose records the resolver found malformed, beside others that
// name no actor (port 0, a target without an address), lists nothing it
// could read: that is an error, wrapping the resolver's, not an answer of
// no actors, as it is when every record is malformed.
func TestSRVMalformedAndNothingUsable(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	for _, c := range []struct {
		name  string
		other dnstest.SRV // beside a record whose target is not a host name
	}{
		{"port 0", dnstest.SRV{Target: "w.uactor.test", Port: 0}},
		{"no address", dnstest.SRV{Target: "nohost.uactor.test", Port: 7002}},
	} {
		t.Run(c.name, func(t *testing.T) {
			z := zone(7001)
			z.SRV[0].Target = "bad!name.uactor.test"
			other := c.other
			other.Name, other.Priority = srvName, 1
			z.SRV = append(z.SRV, other)
			dns := dnstest.Start(t, netip.MustParseAddrPort("127.0.0.1:0"), z, nil)
			got, err := registry.SRV{Name: srvName, Resolver: dns.Resolver()}.Lookup(ctx)
			var dnsErr *net.DNSError
			if !errors.As(err, &dnsErr) {
				t.Fatalf("Lookup = %q, %v; want an error wrapping the resolver's *net.DNSError", got, err)
			}
		})
	}
}

// An SRV whose Name is empty (an unset setting, say) or no DNS name is a
// mistake to report, not a name with no records: its Lookup fails, saying
// so, rather than answer that no actors are there, and a pool from it
// fails with that error, not ErrNoActors. No DNS server is asked.
func TestSRVRefusesWhatIsNoName(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var asked atomic.Bool
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		asked.Store(true)
		return nil, errors.New("no server")
	}}
	for _, name := range []string{"", "_worker._tcp.uactor test", "_worker._tcp/uactor.test",
		// Bytes a name may hold, in no name's shape: the resolver answers
		// "no such host" for each, as for the ones above.
		"_worker._tcp..uactor.test", ".uactor.test", "_worker._tcp.uactor-.test", "_worker._tcp.-uactor.test",
		"_worker._tcp.uactor.test-", "_worker._tcp." + strings.Repeat("a", 64) + ".test", "1.2.3",
		strings.Repeat("a.", 127) + "ab"} {
		src := registry.SRV{Name: name, Resolver: resolver}
		got, err := src.Lookup(ctx)
		if err == nil || strings.Count(err.Error(), "registry:") != 1 {
			t.Errorf("Lookup of %q = %q, %v; want an error saying \"registry:\" once", name, got, err)
		}
		if _, err := registry.PoolFrom(ctx, src, 0, workerKind, testKey, hit); err == nil || errors.Is(err, registry.ErrNoActors) {
			t.Errorf("PoolFrom SRV %q: %v; want the Lookup's error, not ErrNoActors", name, err)
		}
	}
	if asked.Load() {
		t.Error("a DNS server was asked about what is no name")
	}
}

// An SRV whose Name is a DNS name, however written (a trailing dot, upper
// case, an IDN in its xn-- form, a label of digits, the longest a name may
// be), is looked up: its Lookup asks the DNS server.
func TestSRVLooksUpEveryDNSName(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	for _, name := range []string{"_worker._tcp.uactor.test", "_worker._tcp.uactor.test.", "_Worker._TCP.UActor.Test",
		"_worker._tcp.xn--bcher-kva.example", "_worker._tcp.10.example", "_w-1._tcp." + strings.Repeat("a", 63) + ".test",
		strings.Repeat("a.", 126) + "a", strings.Repeat("a.", 127)} {
		var asked atomic.Bool
		resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			asked.Store(true)
			return nil, errors.New("no server")
		}}
		if got, err := (registry.SRV{Name: name, Resolver: resolver}).Lookup(ctx); err == nil || !asked.Load() {
			t.Errorf("Lookup of %q = %q, %v; the DNS server asked: %v, want true (and its failure)", name, got, err, asked.Load())
		}
	}
}
