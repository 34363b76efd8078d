package registry_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// silent returns the address of a loopback TCP listener whose accept
// queue is full: the kernel drops the SYNs of further dials, which so get
// no answer until their timeout, as those of a host gone quiet do.
func silent(t *testing.T) string {
	t.Helper()
	syscall.ForkLock.RLock() // so that no process spawned meanwhile inherits it
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil { // room for one waiting connection
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	a := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	filler, err := net.Dial("tcp", a) // which this one takes, never accepted
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	return "tcp://" + a
}

// countingUnix accepts connections on a Unix socket in a fresh directory,
// closes them, and counts them; stop closes it and removes the directory,
// as an actor's owner does once no restart follows.
func countingUnix(t *testing.T) (addr string, accepted *atomic.Int64, stop func()) {
	t.Helper()
	dir, err := os.MkdirTemp("", "regtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "s.sock")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	accepted, stopAccepting := countAccepts(ln)
	stop = func() {
		stopAccepting()
		os.RemoveAll(dir)
	}
	t.Cleanup(stop)
	return "unix://" + p, accepted, stop
}

// A Probe called after an actor's death drops it, even while a probe that
// began before the death (and found it alive) is still dialling: it waits
// for a run of its own, rather than taking the count of a run whose checks
// predate what its caller saw. The registry is an actor process of its own.
func TestProbeAfterDeathSeesIt(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	reg, err := uactor.Spawn(ctx, registry.Kind, registry.Config{ProbeInterval: -1, DialTimeout: 4 * time.Second},
		uactor.AuthKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	victim, accepted, stop := countingUnix(t)
	quiet := silent(t)
	register(t, ctx, reg, victim, quiet)

	first := make(chan error, 1)
	go func() {
		_, err := registry.Probe.Call(ctx, reg, uactor.Empty{})
		first <- err
	}()
	// The first probe has found the victim alive; its dial of quiet hangs
	// until DialTimeout, and keeps it running.
	for accepted.Load() == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the first probe never dialled the victim")
		case <-time.After(5 * time.Millisecond):
		}
	}
	stop() // the victim is gone, its directory too: a check drops it at once
	n, err := registry.Probe.Call(ctx, reg, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Probe called after the victim died = %d dropped; want 1 (the victim)", n)
	}
	expectList(t, ctx, reg, "after a Probe called once the victim died", quiet)
	if err := <-first; err != nil {
		t.Errorf("the first Probe: %v", err)
	}
}
