//go:build linux

package netns

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// Host is one simulated machine: a network namespace with a loopback
// device and one address on the simulated network.
type Host struct {
	Name string     // the namespace's name, as `ip netns` knows it
	Addr netip.Addr // its address on the simulated network
}

// Command returns a command that runs name with args inside h, through `ip
// netns exec`. Its process, and every process that process starts, sees only
// h's network. If ctx ends first, the process is killed.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Do runs fn on an OS thread that has entered h's network namespace, and
// returns its error. Sockets that fn creates on that thread, and processes
// it starts, belong to h's network. fn must not hand work to other
// goroutines and expect it to run in h: only its own thread is in h.
func (h *Host) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: %w", err)
			return
		}
		defer home.Close()
		if err := setns(filepath.Join("/run/netns", h.Name)); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer func() {
			// Back home before the thread serves other goroutines; if that
			// fails, the thread stays locked and retires with this goroutine.
			if _, _, e := syscall.RawSyscall(sysSetns, home.Fd(), syscall.CLONE_NEWNET, 0); e == 0 {
				runtime.UnlockOSThread()
			}
		}()
		errc <- fn()
	}()
	return <-errc
}

// setns moves the calling thread into the network namespace at path.
func setns(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	defer f.Close()
	if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
		return fmt.Errorf("netns: setns %s: %w", path, e)
	}
	return nil
}

// URL returns "tcp://<h's address>:<port>".
func (h *Host) URL(port int) string {
	return "tcp://" + netip.AddrPortFrom(h.Addr, uint16(port)).String()
}

// WriteResolvConf makes processes started by Command in h resolve names
// through the DNS server at server: `ip netns exec` mounts
// /etc/netns/<name>/resolv.conf over /etc/resolv.conf for them. The file is
// removed when the network closes.
func (h *Host) WriteResolvConf(server netip.Addr) error {
	dir := filepath.Join("/etc/netns", h.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	conf := "nameserver " + server.String() + "\noptions timeout:1 attempts:3\n"
	return os.WriteFile(filepath.Join(dir, "resolv.conf"), []byte(conf), 0o644)
}

// pids lists the processes inside h.
func (h *Host) pids() []int {
	out, _ := exec.Command("ip", "netns", "pids", h.Name).Output()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ip runs the ip command, and returns its error with what it printed.
func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("netns: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
