package registry

import (
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
