package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

var (
	regPortsLine = regexp.MustCompile(`^Actors listening at ports \[(\d+(?: \d+)*)\]$`)
	regPickLine  = regexp.MustCompile(`^Actor at port (\d+) has pid (\d+)$`)
)

// parsePorts reads "Actors listening at ports [p1 p2 …]".
func parsePorts(t *testing.T, line string) []string {
	t.Helper()
	m := regPortsLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("unexpected line %q", line)
	}
	return strings.Fields(m[1])
}

// waitReaped waits until a killed process is reaped by its parent. Unlike
// waitGone, a zombie is not enough: a process's main thread turns zombie
// while its other threads may still hold its listener open.
func waitReaped(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("process %d not reaped within %v", pid, d)
		}
	}
}

// pickResult is one line of the pick mode: an actor's port and pid.
type pickResult struct {
	port string
	pid  int
}

// runPicks runs `registry pick -n n` against the registry and returns what it
// printed; the program must reach every actor it picks, and exit 0.
func runPicks(t *testing.T, bin, registry string, n int) []pickResult {
	t.Helper()
	p := start(t, bin, "pick", "-n", strconv.Itoa(n), registry)
	out := make([]pickResult, n)
	for i := range out {
		l := p.line(t, 20*time.Second)
		m := regPickLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("pick printed %q", l)
		}
		out[i].port = m[1]
		out[i].pid, _ = strconv.Atoi(m[2])
	}
	p.exited(t, 10*time.Second)
	return out
}

// uActor's "Autodiscovery": a registry with ten actors, ten more registered by a
// second process, and a third that picks them round-robin and reaches all
// twenty. An actor killed without a word is never handed out again.
func TestScenarioAutodiscovery(t *testing.T) {
	const probe = 200 * time.Millisecond
	bin := example(t, "registry")
	serve := start(t, bin, "serve", "-listen", "tcp://127.0.0.1:0", "-host", "127.0.0.1", "-probe", probe.String())
	var regPort int
	l := serve.line(t, 30*time.Second)
	if _, err := fmt.Sscanf(l, "Registry listening at port %d", &regPort); err != nil || regPort == 0 {
		t.Fatalf("serve printed %q", l)
	}
	registry := fmt.Sprintf("127.0.0.1:%d", regPort)
	ports := parsePorts(t, serve.line(t, 30*time.Second))
	add := start(t, bin, "add", "-host", "127.0.0.1", registry)
	ports = append(ports, parsePorts(t, add.line(t, 30*time.Second))...)
	if slices.Sort(ports); len(slices.Compact(slices.Clone(ports))) != 20 {
		t.Fatalf("20 actors expected on distinct ports, got %v", ports)
	}

	// Twenty picks reach the twenty actors, each in a process of its own.
	picked := runPicks(t, bin, registry, 20)
	pids := map[int]string{}
	var pickedPorts []string
	for _, p := range picked {
		pids[p.pid] = p.port
		pickedPorts = append(pickedPorts, p.port)
	}
	if slices.Sort(pickedPorts); len(pids) != 20 || !slices.Equal(pickedPorts, ports) {
		t.Fatalf("20 picks reached %d processes, on ports %v; want 20, on %v", len(pids), pickedPorts, ports)
	}
	t.Cleanup(func() { // whatever happens, no actor outlives the test
		for pid := range pids {
			if alive(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})

	// The pool mode: twenty calls through a Pool over what the registry
	// lists reach the same twenty actors, round-robin.
	pool := start(t, bin, "pool", "-n", "20", registry)
	if l := pool.line(t, 30*time.Second); l != "Pool of 20 actors" {
		t.Fatalf("pool printed %q", l)
	}
	pooled := map[int]bool{}
	for range 20 {
		var n, pid int
		l := pool.line(t, 30*time.Second)
		if _, err := fmt.Sscanf(l, "Call %d reached pid %d", &n, &pid); err != nil || pids[pid] == "" {
			t.Fatalf("pool printed %q; want a call that reached one of %v", l, pids)
		}
		pooled[pid] = true
	}
	pool.exited(t, 15*time.Second)
	if len(pooled) != 20 {
		t.Fatalf("20 calls through the pool reached %d actors; want 20", len(pooled))
	}

	// One actor dies without a word: picks at once (the on-pick check), and
	// after the probe period (the probe), never hand it out again.
	victim := picked[0].pid
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitReaped(t, victim, 5*time.Second)
	for round, wait := range []time.Duration{0, 2 * probe} {
		time.Sleep(wait)
		seen := map[int]bool{}
		for _, p := range runPicks(t, bin, registry, 38) {
			if p.pid == victim || p.port == pids[victim] {
				t.Fatalf("round %d: pick handed out the dead actor (pid %d, port %s)", round, p.pid, p.port)
			}
			if pids[p.pid] != p.port {
				t.Fatalf("round %d: pick reached pid %d at port %s, unknown", round, p.pid, p.port)
			}
			seen[p.pid] = true
		}
		if len(seen) != 19 {
			t.Fatalf("round %d: 38 picks reached %d actors, want the 19 live ones", round, len(seen))
		}
	}

	// Interrupted, add and serve stop their actors (and serve its registry).
	add.cmd.Process.Signal(os.Interrupt)
	add.exited(t, 15*time.Second)
	serve.cmd.Process.Signal(os.Interrupt)
	serve.exited(t, 15*time.Second)
	for pid := range pids {
		waitGone(t, pid, 5*time.Second)
	}
	// serve closed its registry, which Close reaps, before it exited:
	// nothing listens on the registry's port any more.
	if c, err := net.DialTimeout("tcp", registry, 5*time.Second); err == nil {
		c.Close()
		t.Fatalf("the registry at %s still accepts connections after serve exited", registry)
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dialling the registry after serve exited: %v; want ECONNREFUSED", err)
	}
}

// The registry's -host takes an IPv6 address with or without its brackets:
// the ten actors listen there, and picks reach them all.
func TestScenarioRegistryIPv6Host(t *testing.T) {
	if l, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("this host cannot listen on ::1: %v", err)
	} else {
		l.Close()
	}
	bin := example(t, "registry")
	for _, host := range []string{"::1", "[::1]"} {
		t.Run(host, func(t *testing.T) {
			serve := start(t, bin, "serve", "-listen", "tcp://127.0.0.1:0", "-host", host)
			var regPort int
			l := serve.line(t, 30*time.Second)
			if _, err := fmt.Sscanf(l, "Registry listening at port %d", &regPort); err != nil {
				t.Fatalf("serve printed %q", l)
			}
			ports := parsePorts(t, serve.line(t, 30*time.Second))
			pids := map[int]bool{}
			for _, p := range runPicks(t, bin, fmt.Sprintf("127.0.0.1:%d", regPort), len(ports)) {
				pids[p.pid] = true
			}
			if len(pids) != len(ports) {
				t.Fatalf("%d picks reached %d actors", len(ports), len(pids))
			}
			serve.cmd.Process.Signal(os.Interrupt)
			serve.exited(t, 15*time.Second)
			for pid := range pids {
				waitGone(t, pid, 5*time.Second)
			}
		})
	}
}

// The registry forgets an actor that it could not reach for a while (a
// network blip between the hosts), for good unless it is registered again:
// add registers its actors again every -every, so that they come back.
// Here the registry is made to forget them by deregistering them.
func TestScenarioRegistryAddRegistersAgain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	bin := example(t, "registry")
	serve := start(t, bin, "serve", "-listen", "tcp://127.0.0.1:0", "-host", "127.0.0.1")
	var regPort int
	l := serve.line(t, 30*time.Second)
	if _, err := fmt.Sscanf(l, "Registry listening at port %d", &regPort); err != nil {
		t.Fatalf("serve printed %q", l)
	}
	parsePorts(t, serve.line(t, 30*time.Second))
	address := fmt.Sprintf("127.0.0.1:%d", regPort)
	add := start(t, bin, "add", "-host", "127.0.0.1", "-every", "100ms", address)
	added := parsePorts(t, add.line(t, 30*time.Second))
	reg, err := uactor.Connect(ctx, registry.Kind, address, []byte("SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	listed := func() []string { // the added actors' ports the registry lists
		var ports []string
		for _, a := range mustList(t, ctx, reg) {
			if p := a[strings.LastIndexByte(a, ':')+1:]; slices.Contains(added, p) {
				ports = append(ports, p)
			}
		}
		slices.Sort(ports)
		return ports
	}
	var forget registry.Addresses
	for _, a := range mustList(t, ctx, reg) {
		if slices.Contains(added, a[strings.LastIndexByte(a, ':')+1:]) {
			forget = append(forget, a)
		}
	}
	if len(forget) != len(added) {
		t.Fatalf("the registry lists %v; want add's %v among them", forget, added)
	}
	if _, err := registry.Deregister.Call(ctx, reg, forget); err != nil {
		t.Fatal(err)
	}
	slices.Sort(added)
	for end := time.Now().Add(20 * time.Second); !slices.Equal(listed(), added); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("add's actors the registry forgot, listed 20s later: %v; want %v", listed(), added)
		}
	}
	add.cmd.Process.Signal(os.Interrupt)
	add.exited(t, 15*time.Second)
	serve.cmd.Process.Signal(os.Interrupt)
	serve.exited(t, 15*time.Second)
}

// mustList returns what the registry lists.
func mustList(t *testing.T, ctx context.Context, reg uactor.Ref[*registry.Registry]) registry.Addresses {
	t.Helper()
	all, err := registry.List.Call(ctx, reg, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// add registers its actors again, but not one that died: the registry
// drops a dead actor (see package registry), and a registrant that
// vouches for it again every -every, sooner than the registry's
// DialTimeout, would keep it listed for ever.
func TestScenarioRegistryAddDoesNotKeepDeadActor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	bin := example(t, "registry")
	serve := start(t, bin, "serve", "-listen", "tcp://127.0.0.1:0", "-host", "127.0.0.1", "-probe", "200ms")
	var regPort int
	l := serve.line(t, 30*time.Second)
	if _, err := fmt.Sscanf(l, "Registry listening at port %d", &regPort); err != nil {
		t.Fatalf("serve printed %q", l)
	}
	served := parsePorts(t, serve.line(t, 30*time.Second))
	address := fmt.Sprintf("127.0.0.1:%d", regPort)
	add := start(t, bin, "add", "-host", "127.0.0.1", "-every", "100ms", address)
	added := parsePorts(t, add.line(t, 30*time.Second))
	pids := map[string]int{} // by port
	for _, p := range runPicks(t, bin, address, len(served)+len(added)) {
		pids[p.port] = p.pid
	}
	t.Cleanup(func() { // whatever happens, no actor outlives the test
		for _, pid := range pids {
			if alive(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	victim, ok := pids[added[0]]
	if !ok {
		t.Fatalf("picks reached %v; want add's actor at port %s among them", pids, added[0])
	}
	reg, err := uactor.Connect(ctx, registry.Kind, address, []byte("SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	listed := func() bool {
		for _, a := range mustList(t, ctx, reg) {
			if a[strings.LastIndexByte(a, ':')+1:] == added[0] {
				return true
			}
		}
		return false
	}
	if !listed() {
		t.Fatalf("the registry does not list add's actor at port %s", added[0])
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitReaped(t, victim, 5*time.Second)
	// Its checks find it refused: the registry drops it DialTimeout after
	// they began to fail, unless it is registered again meanwhile.
	for end := time.Now().Add(8 * registry.DefaultDialTimeout); listed(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("add's actor at port %s died, and the registry still lists it %v later: add registers it again", added[0], 8*registry.DefaultDialTimeout)
		}
	}
	add.cmd.Process.Signal(os.Interrupt)
	add.exited(t, 15*time.Second)
	serve.cmd.Process.Signal(os.Interrupt)
	serve.exited(t, 15*time.Second)
}
