package uactor_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/netns"
)

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
