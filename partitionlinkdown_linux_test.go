package uactor_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/netns"
)

// setLink sets host h's link to the network down or up, as an operator
// (or a flapping cable) does: unlike a cut, the host's own stack knows,
// drops its route to the others, and fails what it sends at once.
func setLink(t *testing.T, h *netns.Host, state string) {
	t.Helper()
	if out, err := exec.Command("ip", "-n", h.Name, "link", "set", "link0", state).CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s: %v: %s", state, err, out)
	}
}

// The client's link goes down and comes back, its connection to the actor
// idle meanwhile: a call made while it is down ends at its deadline, not as
// a dead actor, and a Connect fails rather than hangs; once it is back the
// same ref, on the same connection, reaches the same actor.
func TestPartitionLinkDown(t *testing.T) {
	nw := netns.New(t, 2, netns.Link{Delay: 2 * time.Millisecond})
	a, b := nw.Hosts[0], nw.Hosts[1]
	actor, client := startAgent(t, a), startAgent(t, b)
	addr := actor.ok(t, "host "+a.URL(0)+" 10s 8")
	client.ok(t, "connect r "+addr+" 10s")
	if v := client.ok(t, "call r incr 0"); v != "1" {
		t.Fatalf("incr: %s; want 1", v)
	}
	setLink(t, b, "down")
	t.Cleanup(func() { exec.Command("ip", "-n", b.Name, "link", "set", "link0", "up").Run() })
	if r := client.do(t, "call r incr 1s"); !strings.Contains(r, "deadline=true") || strings.Contains(r, "died=true") {
		t.Fatalf("call while the client's link is down: %s; want its deadline, not a dead actor", r)
	}
	// A connection of its own (other options): the idle one is not asked.
	if r := client.do(t, "connect r2 "+addr+" 9s"); !strings.HasPrefix(r, "err") {
		t.Fatalf("Connect while the client's link is down: %s; want an error", r)
	} else {
		t.Logf("Connect while the link is down: %s", r)
	}
	setLink(t, b, "up")
	if v := client.ok(t, "call r incr 0"); v != "2" && v != "3" { // the call given up may have run
		t.Fatalf("incr once the link is back: %s; want the same actor's count", v)
	}
	if d := client.do(t, "done r"); d != "open" {
		t.Fatalf("ref once the link is back: %s; want open", d)
	}
	client.stop(t)
	actor.stop(t)
}
