package registry

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func ringOf(addrs ...string) *ring {
	r := &ring{}
	for _, a := range addrs {
		r.add(entry{addr: a})
	}
	return r
}

func (r *ring) take(n int) []string {
	var out []string
	for range n {
		e, ok := r.advance(nil, true)
		if !ok {
			out = append(out, "-")
			continue
		}
		out = append(out, e.addr)
	}
	return out
}

// Removing an entry keeps the cycle going with the entry that was next,
// whether the removed one was before, under or after the cursor.
func TestRingRemoveKeepsCycle(t *testing.T) {
	for _, c := range []struct {
		taken  int
		remove string
		want   []string
	}{
		{1, "a", []string{"b", "c", "d", "b"}}, // before the cursor
		{1, "b", []string{"c", "d", "a", "c"}}, // under it
		{1, "c", []string{"b", "d", "a", "b"}}, // after it
		{3, "d", []string{"a", "b", "c", "a"}}, // under it, at the end: wraps
		{0, "x", []string{"a", "b", "c", "d"}}, // absent
	} {
		r := ringOf("a", "b", "c", "d")
		r.take(c.taken)
		if removed := r.remove(c.remove); removed != (c.remove != "x") {
			t.Errorf("remove(%s) = %v", c.remove, removed)
		}
		if got := r.take(4); !slices.Equal(got, c.want) {
			t.Errorf("after %d taken, remove(%s): %v, want %v", c.taken, c.remove, got, c.want)
		}
	}
	r := ringOf("a")
	r.remove("a")
	if got := r.take(1); got[0] != "-" || r.len() != 0 {
		t.Fatalf("empty ring gave %v", got)
	}
	if !r.add(entry{addr: "b"}) || r.add(entry{addr: "b"}) {
		t.Fatal("add after emptying, or dedupe, misbehaves")
	}
	if got := r.take(2); !slices.Equal(got, []string{"b", "b"}) {
		t.Fatalf("got %v", got)
	}
}

func TestParseEntry(t *testing.T) {
	for in, want := range map[string]entry{
		"127.0.0.1:80":             {addr: "tcp://127.0.0.1:80", network: "tcp", target: "127.0.0.1:80"},
		"tcp://LOCALHOST:05000":    {addr: "tcp://localhost:5000", network: "tcp", target: "localhost:5000"},
		"tcp://[0:0::1]:7":         {addr: "tcp://[::1]:7", network: "tcp", target: "[::1]:7"},
		"unix:///run//x/./a.sock":  {addr: "unix:///run/x/a.sock", network: "unix", target: "/run/x/a.sock"},
		"unix://@uactor-abstract1": {addr: "unix://@uactor-abstract1", network: "unix", target: "@uactor-abstract1"},
	} {
		if got, err := parseEntry(in); err != nil || got != want {
			t.Errorf("parseEntry(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
}

// A Pick skips what it has tried, wherever other Picks left the cursor,
// and ends once it has tried every entry: here another Pick takes two
// steps after this one's first, which brings the cursor back to the entry
// this one tried.
func TestRingAdvanceSkipsTried(t *testing.T) {
	r := ringOf("a", "b", "c")
	tried := map[string]map[string]bool{"mine": {}, "theirs": {}}
	var mine []string
	for _, who := range []string{"mine", "theirs", "theirs", "mine", "mine"} {
		e, ok := r.advance(tried[who], true)
		if !ok {
			t.Fatalf("%s: advance found nothing, having tried %v", who, tried[who])
		}
		tried[who][e.addr] = true
		if who == "mine" {
			mine = append(mine, e.addr)
		}
	}
	if !slices.Equal(mine, []string{"a", "b", "c"}) {
		t.Fatalf("one Pick's entries, another moving the cursor between them: %v; want a, b, c", mine)
	}
	if e, ok := r.advance(tried["mine"], true); ok {
		t.Fatalf("advance with every entry tried = %q; want none", e.addr)
	}
}

// Without suspects, advance passes over entries whose checks struck,
// and moves the cursor past them too; with them, it reaches those next.
// An entry only refused since it was seen is no suspect.
func TestRingAdvancePassesSuspects(t *testing.T) {
	r := ringOf("a", "b", "c")
	r.get("b").failing, r.get("b").strikes = time.Now(), 1
	r.get("c").failing = time.Now() // refused only: no suspect
	tried := map[string]bool{}
	var got []string
	for _, suspects := range []bool{false, false, false, true, true} {
		if e, ok := r.advance(tried, suspects); ok {
			tried[e.addr] = true
			got = append(got, e.addr)
		} else {
			got = append(got, "-")
		}
	}
	if want := []string{"a", "c", "-", "b", "-"}; !slices.Equal(got, want) {
		t.Fatalf("entries: %v; want %v", got, want)
	}
}

// Removing n entries, in whatever order, does work in proportion to n, not
// to n times the ring's length: a Deregister of many addresses, or a probe
// that drops thousands, holds the registry's lock that long.
func TestRingRemoveIsLinear(t *testing.T) {
	const n = 4096
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("unix:///s/%d", i)
	}
	for _, c := range []struct {
		name  string
		order func([]string) []string
	}{
		{"first to last", slices.Clone[[]string]},
		{"last to first", func(a []string) []string { b := slices.Clone(a); slices.Reverse(b); return b }},
		{"shuffled", func(a []string) []string {
			b := slices.Clone(a)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
			return b
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ringOf(addrs...)
			r.take(n / 3)
			for _, a := range c.order(addrs) {
				if !r.remove(a) {
					t.Fatalf("remove(%s) found nothing", a)
				}
			}
			if r.len() != 0 {
				t.Fatalf("%d entries left", r.len())
			}
			if most := 8 * n; r.work > most {
				t.Fatalf("removing %d entries visited or moved %d slots; want at most %d", n, r.work, most)
			}
		})
	}
}

// listRing is the ring as a plain list, removal shifting what follows:
// the order and cursor semantics the ring keeps, spelled simply.
type listRing struct {
	addrs []string
	next  int
}

func (l *listRing) add(a string) bool {
	if slices.Contains(l.addrs, a) {
		return false
	}
	l.addrs = append(l.addrs, a)
	return true
}

func (l *listRing) remove(a string) bool {
	i := slices.Index(l.addrs, a)
	if i < 0 {
		return false
	}
	l.addrs = slices.Delete(l.addrs, i, i+1)
	if i < l.next {
		l.next--
	}
	if l.next >= len(l.addrs) {
		l.next = 0
	}
	return true
}

func (l *listRing) advance(skip map[string]bool) (string, bool) {
	for range l.addrs {
		a := l.addrs[l.next]
		l.next = (l.next + 1) % len(l.addrs)
		if !skip[a] {
			return a, true
		}
	}
	return "", false
}

// Whatever mix of adds, removals and advances, the ring hands out what a
// plain list would, and lists the same addresses in the same order, holes
// and compactions notwithstanding.
func TestRingMatchesList(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for run := range 200 {
		r, l := &ring{}, &listRing{}
		pool := 1 + rnd.IntN(40)
		for step := range 300 {
			a := fmt.Sprintf("unix:///s/%d", rnd.IntN(pool))
			switch op := rnd.IntN(3); op {
			case 0:
				if got, want := r.add(entry{addr: a}), l.add(a); got != want {
					t.Fatalf("run %d step %d: add(%s) = %v; want %v", run, step, a, got, want)
				}
			case 1:
				if got, want := r.remove(a), l.remove(a); got != want {
					t.Fatalf("run %d step %d: remove(%s) = %v; want %v", run, step, a, got, want)
				}
			case 2:
				skip := map[string]bool{}
				for _, s := range l.addrs {
					if rnd.IntN(4) == 0 {
						skip[s] = true
					}
				}
				e, ok := r.advance(skip, true)
				want, wantOK := l.advance(skip)
				if ok != wantOK || e.addr != want {
					t.Fatalf("run %d step %d: advance = %q, %v; want %q, %v", run, step, e.addr, ok, want, wantOK)
				}
			}
			if got := r.addresses(); !slices.Equal(got, l.addrs) || r.len() != len(l.addrs) {
				t.Fatalf("run %d step %d: addresses %v (len %d); want %v", run, step, got, r.len(), l.addrs)
			}
		}
	}
}

// BenchmarkRingRemove removes every entry of a full registry's ring, as a
// Deregister naming them all does under the registry's lock.
func BenchmarkRingRemove(b *testing.B) {
	for _, n := range []int{64, DefaultMaxEntries} {
		addrs := make([]string, n)
		for i := range addrs {
			addrs[i] = fmt.Sprintf("unix:///s/%d", i)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				r := ringOf(addrs...)
				b.StartTimer()
				for _, a := range addrs {
					r.remove(a)
				}
			}
		})
	}
}
