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

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
