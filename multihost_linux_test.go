package uactor_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/dnstest"
	"github.com/uactor-go/uactor/internal/netns"
)

// uActor's scenarios across hosts: three network namespaces, each with
// an address of its own, joined by a link with 5 ms of delay each way and
// 0.5% loss (package netns). Each example program runs as processes in
// the hosts, the way a user runs them on three machines.

// lossy is the link of the multi-host tests.
var lossy = netns.Link{Delay: 5 * time.Millisecond, Loss: 0.005}

// startIn starts the example bin in host h.
func startIn(t *testing.T, h *netns.Host, bin string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second) // bounds a stuck program
	t.Cleanup(cancel)
	return startCmd(t, h.Command(ctx, bin, args...))
}

// hostPort splits "host:port", failing the test if it is not one.
func hostPort(t *testing.T, s string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// Connection: the actor's owner, on host A, prints an address that host C
// can dial, with no -advertise (A has one address: the example finds it);
// from C, connect reaches the same process.
func TestMultiHostConnection(t *testing.T) {
	nw := netns.New(t, 3, lossy) // first: it skips where it cannot run
	bin := example(t, "connection")
	a, c := nw.Hosts[0], nw.Hosts[2]
	owner := startIn(t, a, bin, "-listen", "tcp://0.0.0.0:0", "serve")
	pid, host, port := parseActor(t, owner.line(t, 30*time.Second))
	if host != a.Addr.String() {
		t.Fatalf("owner printed host %s; want A's address %s", host, a.Addr)
	}
	remote := startIn(t, c, bin, "connect", net.JoinHostPort(host, port))
	rpid, rhost, rport := parseActor(t, remote.line(t, 30*time.Second))
	if rpid != pid || rhost != host || rport != port {
		t.Fatalf("from C: pid %d at %s:%s; want %d at %s:%s", rpid, rhost, rport, pid, host, port)
	}
	remote.exited(t, 10*time.Second)
	owner.cmd.Process.Signal(os.Interrupt)
	owner.exited(t, 15*time.Second)
	waitGone(t, pid, 5*time.Second)
}

// Mainloop: the owner on A advertises what -advertise says; B shuts it down.
func TestMultiHostMainloop(t *testing.T) {
	nw := netns.New(t, 3, lossy)
	bin := example(t, "mainloop")
	a, b := nw.Hosts[0], nw.Hosts[1]
	owner := startIn(t, a, bin, "-listen", "tcp://0.0.0.0:0", "-advertise", a.Addr.String(), "serve")
	pid, host, port := parseActor(t, owner.line(t, 30*time.Second))
	if host != a.Addr.String() {
		t.Fatalf("owner printed host %s; want %s", host, a.Addr)
	}
	shutdownRemotely(t, owner, startIn(t, b, bin, "shutdown", net.JoinHostPort(host, port)), pid)
}

// Forwarding: MyActor and its MyOtherActor serve on A; from C, both of the
// uActor's approaches reach MyOtherActor through the ref MyActor hands out:
// once capturing the 0.0.0.0 address the ref names, once with a
// MyOtherActor that advertises A's address.
func TestMultiHostForwarding(t *testing.T) {
	nw := netns.New(t, 3, lossy)
	bin := example(t, "forwarding")
	a, c := nw.Hosts[0], nw.Hosts[2]
	for _, tc := range []struct {
		name    string
		args    []string
		capture string // the address the ref names, which the client captures
	}{
		{"capture", nil, `tcp://0\.0\.0\.0:\d+`},
		{"advertise", []string{"-other-advertise", a.Addr.String()}, `tcp://` + regexp.QuoteMeta(a.Addr.String()) + `:\d+`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serve := startIn(t, a, bin, append([]string{"serve", "-listen", "tcp://0.0.0.0:0", "-other", "tcp://0.0.0.0:0"}, tc.args...)...)
			var pid int
			var addr string
			if _, err := fmt.Sscanf(serve.line(t, 30*time.Second), "MyActor process %d at %s", &pid, &addr); err != nil {
				t.Fatal(err)
			}
			if host, _ := hostPort(t, addr); host != a.Addr.String() {
				t.Fatalf("serve printed %s; want A's address %s", addr, a.Addr)
			}
			expectForwarding(t, startIn(t, c, bin, "connect", addr), tc.capture, a.Addr.String(), pid)
			serve.cmd.Process.Signal(os.Interrupt)
			serve.exited(t, 15*time.Second)
		})
	}
}

// Autodiscovery: the registry and ten actors on A, ten more actors on B,
// and twenty picks from C that reach the twenty actors of both hosts.
// Besides the link's random loss, the first SYN of every connection from A
// to B is lost: each of the registry's liveness checks of B's actors waits
// for the SYN's retransmission, and must not skip them. The retransmission
// is spared the random loss: losing it too would rightly make a live actor
// look unreachable for longer than a check waits, and a pick skip it.
func TestMultiHostRegistry(t *testing.T) {
	link := lossy
	link.Rule = netns.FirstSYN(netns.HostAddr(0), netns.HostAddr(1))
	nw := netns.New(t, 3, link)
	bin := example(t, "registry")
	a, b, c := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	reg, portsA, portsB, stop := registryHosts(t, bin, a, b)
	defer stop()
	ports := append(portsA, portsB...)
	start := time.Now()
	p := startIn(t, c, bin, "pick", "-n", "20", reg)
	pids := map[int]bool{}
	var picked []string
	for range 20 {
		l := p.line(t, 30*time.Second)
		m := regPickLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("pick printed %q", l)
		}
		pid, _ := strconv.Atoi(m[2])
		pids[pid] = true
		picked = append(picked, m[1])
		t.Log(l)
	}
	p.exited(t, 15*time.Second)
	t.Logf("20 picks from C took %v", time.Since(start).Round(time.Millisecond))
	slices.Sort(picked)
	slices.Sort(ports)
	if len(pids) != 20 || !slices.Equal(picked, ports) {
		t.Fatalf("20 picks reached %d processes, on ports %v; want 20, on %v", len(pids), picked, ports)
	}
	if nw.Stats().Dropped == 0 {
		t.Fatal("no SYN from A to B was lost: the test did not test the retransmission")
	}
}

// registryHosts runs the registry example's serve on a (the registry and
// ten actors) and add on b (ten more), and returns the registry's address
// and the ports of the actors of each host; stop interrupts both programs
// and checks that they exit.
func registryHosts(t *testing.T, bin string, a, b *netns.Host) (reg string, portsA, portsB []string, stop func()) {
	t.Helper()
	serve := startIn(t, a, bin, "serve", "-listen", "tcp://0.0.0.0:0")
	var regPort int
	if l := serve.line(t, 30*time.Second); func() error {
		_, err := fmt.Sscanf(l, "Registry listening at port %d", &regPort)
		return err
	}() != nil {
		t.Fatalf("serve printed %q", l)
	}
	reg = net.JoinHostPort(a.Addr.String(), strconv.Itoa(regPort))
	portsA = parsePorts(t, serve.line(t, 30*time.Second))
	add := startIn(t, b, bin, "add", reg)
	portsB = parsePorts(t, add.line(t, 30*time.Second))
	return reg, portsA, portsB, func() {
		add.cmd.Process.Signal(os.Interrupt)
		add.exited(t, 15*time.Second)
		serve.cmd.Process.Signal(os.Interrupt)
		serve.exited(t, 15*time.Second)
	}
}

// The same program, with its one line of discovery changed, finds the
// twenty actors of hosts A and B from host C through the registry, and
// through DNS SRV records that a real DNS server (dnsmasq, on C) serves.
func TestMultiHostRegistryAndDNS(t *testing.T) {
	const name = "_network._tcp.uactor.test"
	nw := netns.New(t, 3, lossy)
	viaRegistry := example(t, "registry")
	viaDNS := exampleVariant(t, "registry",
		`src := registry.At(from, secret) // discovery: the registry actor at from`,
		`src := registry.SRV{Name: from} // discovery: DNS SRV records`)
	a, b, c := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	reg, portsA, portsB, stop := registryHosts(t, viaRegistry, a, b)
	defer stop()

	zone := dnstest.Zone{Domain: "uactor.test", Hosts: map[string]netip.Addr{"a.uactor.test": a.Addr, "b.uactor.test": b.Addr}}
	for target, ports := range map[string][]string{"a.uactor.test": portsA, "b.uactor.test": portsB} {
		for _, p := range ports {
			port, _ := strconv.Atoi(p)
			zone.SRV = append(zone.SRV, dnstest.SRV{Name: name, Target: target, Port: uint16(port)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dnstest.Start(t, netip.MustParseAddrPort("127.0.0.1:53"), zone, func(name string, args ...string) *exec.Cmd {
		return c.Command(ctx, name, args...)
	})
	if err := c.WriteResolvConf(netip.MustParseAddr("127.0.0.1")); err != nil {
		t.Fatal(err)
	}

	var reached [2]map[int]bool
	for i, run := range []struct{ bin, from string }{{viaRegistry, reg}, {viaDNS, name}} {
		start := time.Now()
		p := startIn(t, c, run.bin, "pool", "-n", "20", run.from)
		if l := p.line(t, 30*time.Second); l != "Pool of 20 actors" {
			t.Fatalf("pool %s printed %q", run.from, l)
		}
		reached[i] = map[int]bool{}
		for range 20 {
			var n, pid int
			if _, err := fmt.Sscanf(p.line(t, 30*time.Second), "Call %d reached pid %d", &n, &pid); err != nil {
				t.Fatal(err)
			}
			reached[i][pid] = true
		}
		p.exited(t, 15*time.Second)
		t.Logf("pool from %s: 20 calls reached %d actors, in %v", run.from, len(reached[i]), time.Since(start).Round(time.Millisecond))
	}
	if len(reached[0]) != 20 || !maps.Equal(reached[0], reached[1]) {
		t.Fatalf("through the registry, calls reached %v; through DNS, %v; want the same 20 actors", reached[0], reached[1])
	}
}
