package uactor_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/netns"
)

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
			again := replaceActor(t, b, actor, addr, reboot)
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
			again := replaceActor(t, b, actor, addr, reboot)
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

// replaceActor kills the agent serving the actor at addr on host h, and
// starts another there that serves a new actor at the same address; with
// reboot, the host's TCP state goes with the old one, as in a reboot.
func replaceActor(t *testing.T, h *netns.Host, old *agentProc, addr string, reboot bool) *agentProc {
	t.Helper()
	old.p.cmd.Process.Kill()
	<-old.p.done
	if reboot {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := h.Command(ctx, "ss", "-K", "-t", "state", "all").CombinedOutput(); err != nil {
			t.Skipf("ss -K: %v: %s", err, out)
		}
	}
	again := startAgent(t, h)
	if got := again.ok(t, "host "+addr+" 3s 8"); got != addr {
		t.Fatalf("new actor at %s; want %s", got, addr)
	}
	return again
}
