//go:build linux

package netns

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Net is a simulated network: hosts in namespaces of their own, and the
// relay that links them.
type Net struct {
	Hosts []*Host
	relay *relay
	devs  []*os.File
	wg    sync.WaitGroup
}

// Subnet is the simulated network's prefix: host i (from 0) has address
// 10.77.0.<i+1>. Every Net has its own namespaces, so that Nets in
// concurrent tests never see each other.
var Subnet = netip.MustParsePrefix("10.77.0.0/24")

// HostAddr returns the address of host i (from 0) of any Net.
func HostAddr(i int) netip.Addr {
	a := Subnet.Addr().As4()
	a[3] = byte(i + 1)
	return netip.AddrFrom4(a)
}

var seq atomic.Int64

// New builds a network of n hosts joined by link, and tears it down when
// the test ends: it kills every process left in the hosts, stops the relay
// and deletes the namespaces. It first removes what test processes that
// are gone left (see sweep). If this machine cannot build one (not root,
// no /dev/net/tun, no ip command, namespaces not allowed), New skips the
// test saying why; under CI=true it fails the test instead.
func New(t testing.TB, n int, link Link) *Net {
	t.Helper()
	if why := missing(); why != "" {
		skip(t, why)
	}
	sweep()
	nw := &Net{}
	t.Cleanup(func() {
		if err := nw.close(); err != nil {
			t.Error(err)
		}
		s := nw.Stats()
		t.Logf("netns: link delivered %d packets, lost %d, dropped %d by rule, %d on a full queue",
			s.Delivered, s.Lost, s.Dropped, s.Overflowed)
	})
	id := fmt.Sprintf("uactor-%d-%d", os.Getpid(), seq.Add(1))
	var ports []*port
	for i := range n {
		addr := HostAddr(i)
		h := &Host{Name: fmt.Sprintf("%s-%c", id, 'a'+i), Addr: addr}
		if err := ip("netns", "add", h.Name); err != nil {
			skip(t, err.Error())
		}
		nw.Hosts = append(nw.Hosts, h)
		var dev *os.File
		err := h.Do(func() (err error) {
			dev, err = openTUN("link0")
			return err
		})
		if err != nil {
			skip(t, err.Error())
		}
		nw.devs = append(nw.devs, dev)
		for _, args := range [][]string{
			{"-n", h.Name, "link", "set", "lo", "up"},
			{"-n", h.Name, "addr", "add", netip.PrefixFrom(addr, Subnet.Bits()).String(), "dev", "link0"},
			{"-n", h.Name, "link", "set", "link0", "up"},
		} {
			if err := ip(args...); err != nil {
				t.Fatal(err)
			}
		}
		ports = append(ports, &port{addr: addr, dev: dev})
	}
	nw.relay = newRelay(link, ports)
	for _, p := range ports {
		nw.wg.Go(func() { nw.relay.serve(p) })
	}
	return nw
}

// Stats returns what the link did so far.
func (nw *Net) Stats() Stats {
	if nw.relay == nil {
		return Stats{}
	}
	return nw.relay.stats()
}

// close kills what runs in the hosts, stops the relay and removes the
// namespaces.
func (nw *Net) close() error {
	for _, h := range nw.Hosts {
		for _, pid := range h.pids() {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, h := range nw.Hosts {
		for end := time.Now().Add(5 * time.Second); len(h.pids()) > 0 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, d := range nw.devs {
		d.Close()
	}
	nw.wg.Wait()
	if nw.relay != nil {
		nw.relay.close()
	}
	var errs []error
	for _, h := range nw.Hosts {
		os.RemoveAll(filepath.Join("/etc/netns", h.Name))
		if err := ip("netns", "del", h.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("netns: %v", errs)
	}
	return nil
}

// missing says what this machine lacks to build a network, or "".
func missing() string {
	switch {
	case os.Geteuid() != 0:
		return "needs root, to create network namespaces and TUN devices"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "needs the ip command (iproute2)"
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return "needs /dev/net/tun: " + err.Error()
	}
	return ""
}

func skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("netns: cannot build a simulated network under CI: %s", why)
	}
	t.Skipf("netns: cannot build a simulated network: %s", why)
}
