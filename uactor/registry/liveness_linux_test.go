package registry_test

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// unanswered returns the address of a Unix socket whose backlog is full:
// a dial fails at once, but not in a way that proves nothing listens (as a
// swamped actor's would), so a check makes it a suspect, not a drop.
func unanswered(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "regtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "full.sock")
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: p}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil { // room for one waiting connection
		t.Fatal(err)
	}
	filler, err := net.Dial("unix", p) // which this one takes, never accepted
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	if c, err := net.Dial("unix", p); err == nil {
		c.Close()
		t.Fatal("a dial of a full backlog succeeded")
	}
	return "unix://" + p
}

// While the probe runs, a suspect is passed over when another address
// answers: only the first Pick to reach it dials it, so it keeps its one
// strike however many Picks follow, until the probe's checks strike it
// out. (The probe's period here outlasts the test: Probe runs it.)
func TestPickPassesOverSuspects(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: time.Hour})
	suspect, live := unanswered(t), listen(t, "tcp").addr
	register(t, ctx, reg, suspect, live)
	if got := picks(t, ctx, reg, 5); !slices.Equal(got, []string{live, live, live, live, live}) {
		t.Fatalf("picks %v; want the live actor every time", got)
	}
	expectList(t, ctx, reg, "after five picks, the suspect dialled by the first alone", suspect, live)
	for range 2 {
		if _, err := registry.Probe.Call(ctx, reg, uactor.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	expectList(t, ctx, reg, "after two probes, the suspect's third strike", live)
}

// With the probe off, nothing else would check a suspect again: Picks
// check it in its turn, and strike it out.
func TestPickChecksSuspectsWithProbeOff(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	reg := hostRegistry(t, registry.Config{ProbeInterval: -1})
	suspect, live := unanswered(t), listen(t, "tcp").addr
	register(t, ctx, reg, suspect, live)
	if got := picks(t, ctx, reg, 3); !slices.Equal(got, []string{live, live, live}) {
		t.Fatalf("picks %v; want the live actor every time", got)
	}
	expectList(t, ctx, reg, "after three picks, each of which checked the suspect", live)
}
