// Package dnstest runs a real DNS server for tests: Debian's dnsmasq,
// answering SRV and address records that the test gives it, and nothing
// else. A test that needs it skips, saying so, where dnsmasq is not
// installed (apt-get install dnsmasq); under CI=true it fails instead, as
// CI installs it.
package dnstest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SRV is one SRV record: Name ("_service._tcp.domain") served by Target at
// Port. Lower Priority is preferred; Weight shares out equal priorities.
type SRV struct {
	Name, Target     string
	Port             uint16
	Priority, Weight uint16
}

// Zone is what the server answers: SRV records, the addresses of their
// targets, and NXDOMAIN for any other name under Domain.
type Zone struct {
	Domain string
	SRV    []SRV
	Hosts  map[string]netip.Addr
}

// Server is a running dnsmasq.
type Server struct {
	Addr netip.AddrPort // where it answers, over UDP and TCP; do not change it

	t       testing.TB
	command func(name string, args ...string) *exec.Cmd
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
}

// Start runs dnsmasq at addr (port 0: a free one on addr; the address must
// be one this process can bind, unless command runs it elsewhere), serving
// zone, until the test ends. command, if not nil, makes the command that
// runs it (to run it inside a network namespace, say).
func Start(t testing.TB, addr netip.AddrPort, zone Zone, command func(name string, args ...string) *exec.Cmd) *Server {
	t.Helper()
	path, err := exec.LookPath("dnsmasq")
	if err != nil {
		why := "dnstest: needs dnsmasq, a DNS server (apt-get install dnsmasq): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	if command == nil {
		command = exec.Command
	}
	s := &Server{t: t, command: func(_ string, args ...string) *exec.Cmd { return command(path, args...) }}
	t.Cleanup(s.stop)
	for try := 0; ; try++ {
		a := addr
		if a.Port() == 0 {
			a = freePort(t, addr.Addr())
		}
		err := s.run(a, zone)
		if err == nil {
			s.Addr = a // set once: Update keeps it
			return s
		}
		if addr.Port() != 0 || try == 4 {
			t.Fatal(err)
		}
	}
}

// Update restarts the server, on the same address, serving zone instead:
// the answer changes at once (its records have a TTL of 0).
func (s *Server) Update(zone Zone) {
	s.t.Helper()
	s.stop()
	if err := s.run(s.Addr, zone); err != nil {
		s.t.Fatal(err)
	}
}

// Resolver returns a resolver that asks this server, and no other.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, s.Addr.String())
		},
	}
}

// run starts dnsmasq at addr, and waits until it serves.
func (s *Server) run(addr netip.AddrPort, zone Zone) error {
	args := []string{
		"--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", "--pid-file=",
		"--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces", "--user=root",
		"--listen-address=" + addr.Addr().String(), "--port=" + strconv.Itoa(int(addr.Port())),
		"--local-ttl=0", "--local=/" + zone.Domain + "/",
	}
	for _, r := range zone.SRV {
		args = append(args, fmt.Sprintf("--srv-host=%s,%s,%d,%d,%d", r.Name, r.Target, r.Port, r.Priority, r.Weight))
	}
	for name, ip := range zone.Hosts {
		args = append(args, "--host-record="+name+","+ip.String())
	}
	cmd := s.command("dnsmasq", args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("dnstest: start dnsmasq: %w", err)
	}
	exited := make(chan struct{})
	started := make(chan struct{})
	var log strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "started") {
				select {
				case <-started:
				default:
					close(started)
				}
			}
			if log.Len() < 4096 {
				log.WriteString(sc.Text() + "\n")
			}
		}
		cmd.Wait()
		close(exited)
	}()
	select {
	case <-started:
	case <-exited:
		return fmt.Errorf("dnstest: dnsmasq at %s exited: %s", addr, log.String())
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("dnstest: dnsmasq at %s did not start within 20 s", addr)
	}
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	return nil
}

// stop ends the server, if it runs.
func (s *Server) stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		<-exited
	}
}

// freePort returns addr with a port that is free for UDP just now.
func freePort(t testing.TB, addr netip.Addr) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}
