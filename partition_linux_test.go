package uactor_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/netns"
)

// Partitions: the link between two hosts is cut, every packet each way
// silently lost (no RST, no FIN), as when a cable is pulled or a host
// freezes, and later healed. The actors and their callers are agents
// (partitionagent_test.go): this test binary run again in the hosts.

// cutter cuts the link between pairs of hosts, and heals it; oneWay cuts
// only the packets from the first host of a pair to the second.
type cutter struct {
	cut    atomic.Bool
	oneWay bool
	pairs  [][2]netip.Addr
}

func (c *cutter) rule(p netns.Packet) netns.Fate {
	if !c.cut.Load() {
		return netns.Chance
	}
	src, dst := p.Src(), p.Dst()
	for _, pr := range c.pairs {
		if src == pr[0] && dst == pr[1] || !c.oneWay && src == pr[1] && dst == pr[0] {
			return netns.Dropped
		}
	}
	return netns.Chance
}

// partitionable builds n hosts whose links between the pairs of hosts
// given (by index) the returned cutter cuts.
func partitionable(t *testing.T, n int, pairs ...[2]int) (*netns.Net, *cutter) {
	t.Helper()
	c := &cutter{}
	for _, p := range pairs {
		c.pairs = append(c.pairs, [2]netip.Addr{netns.HostAddr(p[0]), netns.HostAddr(p[1])})
	}
	return netns.New(t, n, netns.Link{Delay: 2 * time.Millisecond, Rule: c.rule}), c
}

// agentProc is a running agent, and the results and events it prints.
type agentProc struct {
	p      *proc
	in     io.WriteCloser
	events chan string
	seen   []string // events no wait has taken yet
	mu     sync.Mutex
	seq    int
	wait   map[string]chan string
}

// startAgent runs an agent in h; it is stopped (and must exit cleanly) by stop.
func startAgent(t *testing.T, h *netns.Host) *agentProc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // bounds a stuck agent
	t.Cleanup(cancel)
	cmd := h.Command(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), partitionAgentEnv+"=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	a := &agentProc{p: startCmd(t, cmd), in: in, events: make(chan string, 1000), wait: map[string]chan string{}}
	go func() {
		for {
			var l string
			select {
			case l = <-a.p.lines:
			case <-a.p.done:
				select {
				case l = <-a.p.lines:
				default:
					return
				}
			}
			if ev, ok := strings.CutPrefix(l, "event "); ok {
				a.events <- ev
				continue
			}
			tag, rest, _ := strings.Cut(l, " ")
			a.mu.Lock()
			ch := a.wait[tag]
			delete(a.wait, tag)
			a.mu.Unlock()
			if ch != nil {
				ch <- rest
			}
		}
	}()
	return a
}

// send starts a command; its result comes on the channel returned.
func (a *agentProc) send(t *testing.T, cmd string) <-chan string {
	t.Helper()
	ch := make(chan string, 1)
	a.mu.Lock()
	a.seq++
	tag := fmt.Sprint(a.seq)
	a.wait[tag] = ch
	a.mu.Unlock()
	if _, err := fmt.Fprintf(a.in, "%s %s\n", tag, cmd); err != nil {
		t.Fatalf("agent: %s: %v", cmd, err)
	}
	return ch
}

// result waits up to d for a command's result.
func (a *agentProc) result(t *testing.T, cmd string, ch <-chan string, d time.Duration) string {
	t.Helper()
	select {
	case r := <-ch:
		t.Logf("%s %s: %s", time.Now().Format("05.000"), cmd, r)
		return r
	case <-a.p.done:
		t.Fatalf("agent exited (%v) before answering %s", a.p.cmd.ProcessState, cmd)
	case <-time.After(d):
		t.Fatalf("agent: no answer to %s within %v", cmd, d)
	}
	return ""
}

// do runs a command and returns its result.
func (a *agentProc) do(t *testing.T, cmd string) string {
	t.Helper()
	return a.result(t, cmd, a.send(t, cmd), 30*time.Second)
}

// ok runs a command that must succeed, and returns what follows its "ok".
func (a *agentProc) ok(t *testing.T, cmd string) string {
	t.Helper()
	r := a.do(t, cmd)
	rest, found := strings.CutPrefix(r, "ok")
	if !found {
		t.Fatalf("%s: %s", cmd, r)
	}
	return strings.TrimSpace(rest)
}

// event waits up to d for an event that contains what; events passed over
// are kept for later waits.
func (a *agentProc) event(t *testing.T, what string, d time.Duration) string {
	t.Helper()
	if i := slices.IndexFunc(a.seen, func(ev string) bool { return strings.Contains(ev, what) }); i >= 0 {
		ev := a.seen[i]
		a.seen = slices.Delete(a.seen, i, i+1)
		t.Logf("%s event: %s", time.Now().Format("05.000"), ev)
		return ev
	}
	deadline := time.After(d)
	for {
		select {
		case ev := <-a.events:
			if strings.Contains(ev, what) {
				t.Logf("%s event: %s", time.Now().Format("05.000"), ev)
				return ev
			}
			a.seen = append(a.seen, ev)
		case <-deadline:
			t.Fatalf("agent: no event %q within %v (seen: %q)", what, d, a.seen)
			return ""
		}
	}
}

// stop closes the agent's input: it closes its refs and must exit cleanly.
func (a *agentProc) stop(t *testing.T) {
	t.Helper()
	a.in.Close()
	a.p.exited(t, 15*time.Second)
}

// A call in flight when the link is cut returns at its deadline with
// context.DeadlineExceeded. Once the link heals (before keepalive gives
// up) the same ref works again, and the actor's state is intact. A ref
// closed while its link is cut leaves no goroutine behind, and the agents
// exit cleanly.
func TestPartitionCallDeadline(t *testing.T) {
	nw, link := partitionable(t, 2, [2]int{0, 1})
	a, b := nw.Hosts[0], nw.Hosts[1]
	actor, client := startAgent(t, a), startAgent(t, b)
	addr := actor.ok(t, "host "+a.URL(0)+" 3s 8")
	// A first ref, closed, starts what lives as long as the process.
	client.ok(t, "connect w "+addr+" 3s")
	client.ok(t, "call w pid 0")
	client.ok(t, "close w")
	before := client.do(t, "goroutines settled")

	client.ok(t, "connect r "+addr+" 3s")
	if v := client.ok(t, "call r incr 0"); v != "1" {
		t.Fatalf("incr: %s; want 1", v)
	}
	for i, heal := range []bool{true, false} {
		hold := client.send(t, "call r hold 500ms")
		actor.event(t, "hold-start", 10*time.Second)
		link.cut.Store(true)
		r := client.result(t, "hold (deadline 500ms)", hold, 10*time.Second)
		if !strings.Contains(r, "deadline=true") || strings.Contains(r, "died=true") {
			t.Fatalf("call in flight across a cut link: %s; want an error matching context.DeadlineExceeded", r)
		}
		if !heal {
			break
		}
		link.cut.Store(false)
		actor.event(t, "hold-end", 10*time.Second)
		if v, want := client.ok(t, "call r incr 0"), fmt.Sprint(i+2); v != want {
			t.Fatalf("incr after healing: %s; want %s", v, want)
		}
		if d := client.do(t, "done r"); d != "open" {
			t.Fatalf("ref after healing: %s; want open", d)
		}
	}
	// Cut again, the call given up: closing the ref frees everything.
	client.ok(t, "close r")
	if n := client.do(t, "goroutines "+before); atoi(t, n) > atoi(t, before) {
		t.Fatalf("%s goroutines once the ref was closed; %s before it was made", n, before)
	}
	link.cut.Store(false)
	client.stop(t)
	actor.stop(t)
}

// Without a deadline, a call in flight when the link is cut fails with
// ErrActorDied once keepalive finds the actor silent, and the ref's actor
// is gone (Done, Err). The actor drops the silent client too: the call's
// handler ends, its connection slot is freed, and other clients are served
// meanwhile. After healing, the old ref stays gone, as documented, and a
// fresh Connect reaches the same actor, its state intact.
func TestPartitionKeepalive(t *testing.T) {
	nw, link := partitionable(t, 3, [2]int{0, 1})
	a, b, c := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	actor, client, other := startAgent(t, a), startAgent(t, b), startAgent(t, c)
	addr := actor.ok(t, "host "+a.URL(0)+" 250ms 2") // two connections at most
	client.ok(t, "connect r "+addr+" 250ms")
	other.ok(t, "connect r "+addr+" 250ms")
	client.ok(t, "call r incr 0")
	other.ok(t, "call r incr 0")
	// Refs with other options take a connection of their own: a third is
	// one too many while the client holds its own.
	if r := other.do(t, "connect r2 "+addr+" 300ms"); !strings.HasPrefix(r, "err") {
		t.Fatalf("a third connection while two are served: %s; want it refused", r)
	}

	hold := client.send(t, "call r hold 0 done")
	actor.event(t, "hold-start", 10*time.Second)
	link.cut.Store(true)
	if v := other.ok(t, "call r incr 0"); v != "3" {
		t.Fatalf("another client's incr during the cut: %s; want 3", v)
	}
	r := client.result(t, "hold (no deadline)", hold, 20*time.Second)
	if !strings.Contains(r, "died=true") {
		t.Fatalf("call in flight across a cut link, no deadline: %s; want an error matching ErrActorDied", r)
	}
	// Keepalive found the actor silent, which ends the ref's life: by the
	// time the call says so, Done says so too, and no call starts a
	// reconnect meanwhile.
	if !strings.HasSuffix(r, "(gone)") {
		t.Fatalf("call failed for keepalive: %s; want the ref's Done closed when it returned", r)
	}
	if d := client.do(t, "done r"); !strings.HasPrefix(d, "gone") || !strings.Contains(d, "died=true") {
		t.Fatalf("ref whose actor keepalive found silent: %s; want Done closed, Err matching ErrActorDied", d)
	}

	actor.event(t, "hold-end", 20*time.Second)
	actor.event(t, "dropped silent peer", 20*time.Second)
	other.ok(t, "connect r2 "+addr+" 300ms")
	if v := other.ok(t, "call r2 incr 0"); v != "4" {
		t.Fatalf("incr on a connection made once the silent client was dropped: %s; want 4", v)
	}

	link.cut.Store(false)
	if r := client.do(t, "call r incr 0"); !strings.Contains(r, "died=true") {
		t.Fatalf("call through the gone ref after healing: %s; want an error matching ErrActorDied", r)
	}
	other.ok(t, "close r2") // makes room for the client's fresh connection
	client.ok(t, "connect r3 "+addr+" 250ms")
	if v := client.ok(t, "call r3 incr 0"); v != "5" {
		t.Fatalf("incr through a fresh Connect after healing: %s; want 5", v)
	}
	client.stop(t)
	other.stop(t)
	actor.stop(t)
}

// A registry lists actors on two hosts; the link between the registry's
// host and one of them is cut. Picks (from a third host) hand out only the
// reachable actor from then on. Healed soon, before its checks strike it
// out, the other is picked again with nothing else done; cut for longer,
// it is dropped, and picked again once it registers again.
func TestPartitionRegistry(t *testing.T) {
	nw, link := partitionable(t, 3, [2]int{0, 1})
	a, b, c := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	regHost, far, picker := startAgent(t, a), startAgent(t, b), startAgent(t, c)
	// A check's dial times out before its SYN's retransmission: a check
	// begun in a cut fails. The short cut below heals as soon as one
	// Pick's check has failed, well before the three in a row that drop.
	reg := regHost.ok(t, "registry "+a.URL(0)+" 200ms 800ms")
	near := regHost.ok(t, "host "+a.URL(0)+" 3s 8")
	away := far.ok(t, "host "+b.URL(0)+" 3s 8")
	regHost.ok(t, "register "+reg+" "+near)
	far.ok(t, "register "+reg+" "+away)
	picked := func() []string { return strings.Fields(picker.ok(t, "pick "+reg+" 4")) }
	both := func(when string) {
		t.Helper()
		for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			p := picked()
			if slices.Contains(p, near) && slices.Contains(p, away) {
				return
			}
			if time.Now().After(end) {
				t.Fatalf("picks %s: %v; want both %s and %s", when, p, near, away)
			}
		}
	}
	cutOff := func(when string) {
		t.Helper()
		if p := picked(); slices.Contains(p, away) || slices.Contains(p, "none") {
			t.Fatalf("picks %s, %s cut off from the registry: %v; want only %s", when, away, p, near)
		}
	}
	both("at first")

	// A short cut: the picks' checks found it silent, and no more.
	link.cut.Store(true)
	cutOff("in a short cut")
	link.cut.Store(false)
	both("after a short cut")

	link.cut.Store(true)
	cutOff("in a long cut")
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		l := strings.Fields(regHost.ok(t, "list "+reg))
		if !slices.Contains(l, away) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("registry still lists %s, cut off for 15 s: %v", away, l)
		}
	}
	cutOff("once dropped")
	link.cut.Store(false)
	far.ok(t, "register "+reg+" "+away)
	both("after healing and registering again")
	picker.stop(t)
	far.stop(t)
	regHost.stop(t)
}

// The actor's host vanishes behind a cut link; its process dies and a new
// one serves at the same address before the link heals. Either the old
// process's kernel is still there, and its connection's FIN crosses once
// the link heals, or the host rebooted, and only a RST answers the
// client's next packet. The old ref's call in flight, and its calls after,
// fail with ErrActorDied or ErrWrongActor: none reaches the new actor. A
// fresh Connect does.
func TestPartitionNewProcessSameAddress(t *testing.T) {
	for _, reboot := range []bool{false, true} {
		t.Run(map[bool]string{false: "restart", true: "reboot"}[reboot], func(t *testing.T) {
			nw, link := partitionable(t, 2, [2]int{0, 1})
			a, b := nw.Hosts[0], nw.Hosts[1]
			client, actor := startAgent(t, a), startAgent(t, b)
			addr := actor.ok(t, "host "+b.URL(0)+" 3s 8")
			client.ok(t, "connect r "+addr+" 1s")
			oldPID := client.ok(t, "call r pid 0")
			client.ok(t, "call r incr 0")

			hold := client.send(t, "call r hold 0")
			actor.event(t, "hold-start", 10*time.Second)
			link.cut.Store(true)
			actor.p.cmd.Process.Kill()
			<-actor.p.done
			if reboot { // the host's TCP state goes with it
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if out, err := b.Command(ctx, "ss", "-K", "-t", "state", "all").CombinedOutput(); err != nil {
					t.Skipf("ss -K: %v: %s", err, out)
				}
			}
			again := startAgent(t, b)
			if got := again.ok(t, "host "+addr+" 3s 8"); got != addr {
				t.Fatalf("new actor at %s; want %s", got, addr)
			}
			link.cut.Store(false)

			r := client.result(t, "hold in flight", hold, 20*time.Second)
			if !strings.Contains(r, "died=true") && !strings.Contains(r, "wrong=true") {
				t.Fatalf("call in flight to the vanished actor: %s; want ErrActorDied or ErrWrongActor", r)
			}
			if r := client.do(t, "call r pid 0"); !strings.HasPrefix(r, "err") || (!strings.Contains(r, "died=true") && !strings.Contains(r, "wrong=true")) {
				t.Fatalf("call through the old ref to the new process: %s; want ErrActorDied or ErrWrongActor", r)
			}
			if d := client.do(t, "done r"); !strings.HasPrefix(d, "gone") {
				t.Fatalf("old ref: %s; want its actor gone", d)
			}
			client.ok(t, "connect r2 "+addr+" 3s")
			if pid := client.ok(t, "call r2 pid 0"); pid == oldPID {
				t.Fatalf("fresh Connect reached pid %s, the dead actor's", pid)
			}
			if v := client.ok(t, "call r2 incr 0"); v != "1" {
				t.Fatalf("the new actor's first incr: %s; want 1", v)
			}
			client.stop(t)
			again.stop(t)
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A large request is on its way, slowly, when the link is cut: the
// caller, with no deadline, gets ErrActorDied once keepalive finds the
// actor silent (its frame cannot go on, so no PING can either), and the
// actor drops the client whose frame stopped arriving.
func TestPartitionLargeRequest(t *testing.T) {
	c := &cutter{pairs: [][2]netip.Addr{{netns.HostAddr(0), netns.HostAddr(1)}}}
	nw := netns.New(t, 2, netns.Link{Delay: 2 * time.Millisecond, Rate: 4_000_000, Rule: c.rule})
	a, b := nw.Hosts[0], nw.Hosts[1]
	actor, client := startAgent(t, a), startAgent(t, b)
	addr := actor.ok(t, "host "+a.URL(0)+" 250ms 8")
	client.ok(t, "connect r "+addr+" 250ms")
	const size = 4 << 20 // some seconds at the link's rate
	big := client.send(t, fmt.Sprintf("big r %d 0", size))
	time.Sleep(300 * time.Millisecond) // under way
	c.cut.Store(true)
	r := client.result(t, "large call", big, 30*time.Second)
	if !strings.Contains(r, "died=true") {
		t.Fatalf("large call cut off mid-way: %s; want an error matching ErrActorDied", r)
	}
	actor.event(t, "dropped silent peer", 20*time.Second)
	c.cut.Store(false)
	client.ok(t, "connect r2 "+addr+" 250ms")
	if v := client.ok(t, "big r2 1000 0"); v != "1000" {
		t.Fatalf("size after healing: %s; want 1000", v)
	}
	client.stop(t)
	actor.stop(t)
}

// The link is cut one way only: the caller still hears the actor, or the
// actor still hears the caller. Either way the call in flight fails with
// ErrActorDied within keepalive's bounds, the actor's handler ends, and
// once the link heals a fresh Connect reaches the actor, its state intact.
func TestPartitionOneWay(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to int // the hosts whose packets from one to the other are lost
	}{
		{"to the actor", 1, 0},
		{"from the actor", 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &cutter{oneWay: true, pairs: [][2]netip.Addr{{netns.HostAddr(tc.from), netns.HostAddr(tc.to)}}}
			nw := netns.New(t, 2, netns.Link{Delay: 2 * time.Millisecond, Rule: c.rule})
			a, b := nw.Hosts[0], nw.Hosts[1]
			actor, client := startAgent(t, a), startAgent(t, b)
			addr := actor.ok(t, "host "+a.URL(0)+" 250ms 8")
			client.ok(t, "connect r "+addr+" 250ms")
			client.ok(t, "call r incr 0")
			hold := client.send(t, "call r hold 0")
			actor.event(t, "hold-start", 10*time.Second)
			c.cut.Store(true)
			r := client.result(t, "hold (no deadline)", hold, 30*time.Second)
			if !strings.Contains(r, "died=true") {
				t.Fatalf("call in flight, link cut %s: %s; want an error matching ErrActorDied", tc.name, r)
			}
			actor.event(t, "hold-end", 30*time.Second)
			c.cut.Store(false)
			client.ok(t, "connect r2 "+addr+" 250ms")
			if v := client.ok(t, "call r2 incr 0"); v != "2" {
				t.Fatalf("incr after healing: %s; want 2", v)
			}
			client.stop(t)
			actor.stop(t)
		})
	}
}

// An idle ref, no call in flight, learns that its actor went silent
// behind a cut link: keepalive ends its life (Done, ErrActorDied), and the
// actor drops the idle client. A Connect made while the link is cut fails
// once its dial times out; once the link heals, Connect works.
func TestPartitionIdle(t *testing.T) {
	nw, link := partitionable(t, 2, [2]int{0, 1})
	a, b := nw.Hosts[0], nw.Hosts[1]
	actor, client := startAgent(t, a), startAgent(t, b)
	addr := actor.ok(t, "host "+a.URL(0)+" 250ms 8")
	client.ok(t, "connect r "+addr+" 250ms")
	client.ok(t, "call r incr 0")
	link.cut.Store(true)
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d := client.do(t, "done r")
		if strings.HasPrefix(d, "gone") {
			if !strings.Contains(d, "died=true") {
				t.Fatalf("idle ref's actor cut off: %s; want Err matching ErrActorDied", d)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("idle ref's actor cut off for 15 s: %s; want Done closed", d)
		}
	}
	actor.event(t, "dropped silent peer", 15*time.Second)
	if r := client.do(t, "connect r2 "+addr+" 250ms"); !strings.HasPrefix(r, "err") {
		t.Fatalf("Connect across a cut link: %s; want an error", r)
	}
	link.cut.Store(false)
	client.ok(t, "connect r3 "+addr+" 250ms")
	if v := client.ok(t, "call r3 incr 0"); v != "2" {
		t.Fatalf("incr after healing: %s; want 2", v)
	}
	client.stop(t)
	actor.stop(t)
}

// A large answer is on its way, slowly, when the link to its caller is
// cut: the caller gets ErrActorDied once keepalive finds the actor silent,
// and the actor, whose answer cannot go on, drops the caller all the same:
// the connection it held is free for another client, and the goroutines
// that served it end.
func TestPartitionLargeAnswer(t *testing.T) {
	c := &cutter{pairs: [][2]netip.Addr{{netns.HostAddr(0), netns.HostAddr(1)}}}
	nw := netns.New(t, 3, netns.Link{Delay: 2 * time.Millisecond, Rate: 4_000_000, Rule: c.rule})
	a, b, h := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	actor, client, other := startAgent(t, a), startAgent(t, b), startAgent(t, h)
	addr := actor.ok(t, "host "+a.URL(0)+" 250ms 1") // one connection at a time
	before := actor.do(t, "goroutines settled")
	client.ok(t, "connect r "+addr+" 250ms")
	const size = 4 << 20 // some seconds at the link's rate
	blob := client.send(t, fmt.Sprintf("blob r %d", size))
	time.Sleep(300 * time.Millisecond) // under way
	c.cut.Store(true)
	r := client.result(t, "large answer", blob, 30*time.Second)
	if !strings.Contains(r, "died=true") {
		t.Fatalf("large answer cut off mid-way: %s; want an error matching ErrActorDied", r)
	}
	actor.event(t, "dropped silent peer", 20*time.Second)
	other.ok(t, "connect r "+addr+" 250ms")
	if v := other.ok(t, "call r incr 0"); v != "1" {
		t.Fatalf("incr from another client: %s; want 1", v)
	}
	other.ok(t, "close r")
	// Idle workers linger for a while before they end: the bound waits for them.
	if n := actor.do(t, "goroutines "+before); atoi(t, n) > atoi(t, before) {
		t.Fatalf("actor has %s goroutines once its clients left; %s before", n, before)
	}
	c.cut.Store(false)
	client.stop(t)
	other.stop(t)
	actor.stop(t)
}

// A host comes back from a cut with a new process at the same address,
// while this process still holds a connection to the old one that has
// not noticed yet: a fresh Connect to the address reaches the new actor,
// rather than failing on the stale connection.
func TestPartitionConnectAfterNewProcess(t *testing.T) {
	for _, reboot := range []bool{false, true} {
		t.Run(map[bool]string{false: "restart", true: "reboot"}[reboot], func(t *testing.T) {
			nw, link := partitionable(t, 2, [2]int{0, 1})
			a, b := nw.Hosts[0], nw.Hosts[1]
			client, actor := startAgent(t, a), startAgent(t, b)
			addr := actor.ok(t, "host "+b.URL(0)+" 3s 8")
			client.ok(t, "connect r "+addr+" 3s")
			oldPID := client.ok(t, "call r pid 0")

			link.cut.Store(true)
			actor.p.cmd.Process.Kill()
			<-actor.p.done
			if reboot {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if out, err := b.Command(ctx, "ss", "-K", "-t", "state", "all").CombinedOutput(); err != nil {
					t.Skipf("ss -K: %v: %s", err, out)
				}
			}
			again := startAgent(t, b)
			again.ok(t, "host "+addr+" 3s 8")
			link.cut.Store(false)

			client.ok(t, "connect r2 "+addr+" 3s")
			if pid := client.ok(t, "call r2 pid 0"); pid == oldPID {
				t.Fatalf("fresh Connect reached pid %s, the dead actor's", pid)
			}
			if r := client.do(t, "call r pid 0"); !strings.Contains(r, "died=true") && !strings.Contains(r, "wrong=true") {
				t.Fatalf("call through the old ref: %s; want ErrActorDied or ErrWrongActor", r)
			}
			client.stop(t)
			again.stop(t)
		})
	}
}

// A pool that follows a registry spreads calls over actors on two hosts;
// the link from the caller to one of them is cut (the registry still
// reaches it). Calls in flight to it fail at their deadline; once
// keepalive has found it silent, the pool's calls go to the other actor;
// once the link heals, the pool reaches it again.
func TestPartitionPool(t *testing.T) {
	nw, link := partitionable(t, 3, [2]int{1, 2})
	a, b, c := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	regHost, far, caller := startAgent(t, a), startAgent(t, b), startAgent(t, c)
	reg := regHost.ok(t, "registry "+a.URL(0)+" 200ms 800ms")
	regHost.ok(t, "register "+reg+" "+regHost.ok(t, "host "+a.URL(0)+" 3s 8"))
	far.ok(t, "register "+reg+" "+far.ok(t, "host "+b.URL(0)+" 3s 8"))
	caller.ok(t, "pool p "+reg+" 300ms 250ms")
	reached := func() map[string]bool {
		pids := map[string]bool{}
		for range 4 {
			if r := caller.do(t, "poolcall p 1s"); strings.HasPrefix(r, "ok ") {
				pids[r[3:]] = true
			}
		}
		return pids
	}
	if pids := reached(); len(pids) != 2 {
		t.Fatalf("pool reached %v; want two actors", pids)
	}

	link.cut.Store(true)
	for end := time.Now().Add(15 * time.Second); ; {
		var r string
		if r = caller.do(t, "poolcall p 1s"); strings.HasPrefix(r, "err") && !strings.Contains(r, "deadline=true") && !strings.Contains(r, "died=true") {
			t.Fatalf("pool call with a host cut off: %s; want it to reach the other, or fail at its deadline, or with ErrActorDied", r)
		}
		if pids := reached(); len(pids) == 1 && !strings.HasPrefix(r, "err") {
			break
		}
		if time.Now().After(end) {
			t.Fatal("pool calls still fail 15 s after one host was cut off")
		}
	}

	link.cut.Store(false)
	for end := time.Now().Add(15 * time.Second); len(reached()) != 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("pool does not reach the healed host's actor 15 s after healing")
		}
	}
	caller.stop(t)
	far.stop(t)
	regHost.stop(t)
}

// An actor stops (Close) while its clients are cut off from it, one with
// a call in flight, one with a large answer on its way: Close is bounded
// by the grace period, not by the silent clients.
func TestPartitionCloseActor(t *testing.T) {
	c := &cutter{pairs: [][2]netip.Addr{{netns.HostAddr(0), netns.HostAddr(1)}}}
	nw := netns.New(t, 2, netns.Link{Delay: 2 * time.Millisecond, Rate: 4_000_000, Rule: c.rule})
	a, b := nw.Hosts[0], nw.Hosts[1]
	actor, client := startAgent(t, a), startAgent(t, b)
	addr := actor.ok(t, "host "+a.URL(0)+" 10s 8 500ms") // keepalive too slow to help
	client.ok(t, "connect r "+addr+" 10s")
	client.ok(t, "connect r2 "+addr+" 9s") // a connection of its own
	hold := client.send(t, "call r hold 0")
	actor.event(t, "hold-start", 10*time.Second)
	blob := client.send(t, fmt.Sprintf("blob r2 %d", 8<<20))
	time.Sleep(300 * time.Millisecond) // under way
	c.cut.Store(true)
	unhost := actor.send(t, "unhost")
	took := actor.result(t, "unhost", unhost, 10*time.Second)
	t.Logf("Close: %s, its clients cut off, its grace period 500ms", took)
	c.cut.Store(false)
	for _, ch := range []<-chan string{hold, blob} {
		if r := client.result(t, "call cut off from a closing actor", ch, 30*time.Second); !strings.HasPrefix(r, "err") {
			t.Fatalf("call to an actor closed while cut off: %s; want an error", r)
		}
	}
	client.stop(t)
	actor.stop(t)
}

// A client's calls hold all the request bytes the actor allows a
// connection (ConnBuffer), their handlers waiting for their contexts,
// when the link is cut. The actor, which still reads that connection's
// frames that hold nothing (a cancel, a ping's answer), is not the cause
// of the client's silence: its keepalive drops the client, and the
// handlers end.
func TestPartitionAtRequestBound(t *testing.T) {
	nw, link := partitionable(t, 2, [2]int{0, 1})
	a, b := nw.Hosts[0], nw.Hosts[1]
	actor, client := startAgent(t, a), startAgent(t, b)
	const bound = 64 << 10
	addr := actor.ok(t, fmt.Sprintf("host %s 250ms 8 5s %d", a.URL(0), bound))
	client.ok(t, "connect r "+addr+" 250ms")
	var held []<-chan string
	for range 2 { // two halves of the bound: the actor is at it
		held = append(held, client.send(t, fmt.Sprintf("holdbytes r %d", bound/2)))
		actor.event(t, "holdbytes-start", 10*time.Second)
	}
	time.Sleep(time.Second) // several keepalive periods at the bound, the client alive
	for _, ch := range held {
		select {
		case r := <-ch:
			t.Fatalf("call at the bound, its client alive: %s; want it still held", r)
		default:
		}
	}
	link.cut.Store(true)
	for _, ch := range held {
		if r := client.result(t, "holdbytes", ch, 20*time.Second); !strings.Contains(r, "died=true") {
			t.Fatalf("call cut off: %s; want ErrActorDied", r)
		}
	}
	for range held {
		actor.event(t, "holdbytes-end", 20*time.Second)
	}
	link.cut.Store(false)
	client.stop(t)
	actor.stop(t)
}
