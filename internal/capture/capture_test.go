package capture

import "testing"

func TestKeyringHoldsWhileReferenced(t *testing.T) {
	var k Keyring
	key := []byte("OtherSecret")
	id1, r1 := k.Add(key)
	id2, r2 := k.Add(key)
	if id1 != id2 {
		t.Fatalf("one key got two own ids: %x, %x", id1, id2)
	}
	if got, ok := k.Lookup(id1); !ok || string(got) != "OtherSecret" {
		t.Fatalf("Lookup = %q, %v", got, ok)
	}
	r1()
	r1() // idempotent: must not drop r2's hold
	if _, ok := k.Lookup(id1); !ok {
		t.Fatal("key dropped while still held")
	}
	r2()
	if _, ok := k.Lookup(id1); ok {
		t.Fatal("key kept after the last release")
	}
}

// Ids are random, not derived from the key: the same key held afresh gets
// another id, and an id learned from a peer names the key only while it is
// held.
func TestKeyringIDs(t *testing.T) {
	var k Keyring
	key := []byte("a")
	id1, r1 := k.Add(key)
	r1()
	id2, r2 := k.Add(key)
	defer r2()
	if id1 == id2 {
		t.Fatalf("the same key got the same id twice (%x): ids must be random", id1)
	}
	peer := KeyID{1, 2, 3}
	if _, ok := k.Lookup(peer); ok {
		t.Fatal("an unknown id found a key")
	}
	k.Learn(key, peer)
	if got, ok := k.Lookup(peer); !ok || string(got) != "a" {
		t.Fatalf("learned id: Lookup = %q, %v", got, ok)
	}
	k.Learn([]byte("not held"), KeyID{9})
	if _, ok := k.Lookup(KeyID{9}); ok {
		t.Fatal("an id was learned for a key not held")
	}
	inherited := KeyID{7}
	r3 := k.AddAs([]byte("b"), inherited)
	if got, ok := k.Lookup(inherited); !ok || string(got) != "b" {
		t.Fatalf("AddAs: Lookup = %q, %v", got, ok)
	}
	r3()
	r2()
	if _, ok := k.Lookup(peer); ok {
		t.Fatal("a learned id outlived its key")
	}
}

func TestTableRewrites(t *testing.T) {
	var tb Table
	cases := []struct {
		name string
		do   func() func()
		in   string
		want string
		ok   bool
	}{
		{"no rule", func() func() { return func() {} }, "tcp://0.0.0.0:7000", "tcp://0.0.0.0:7000", false},
		{"one rule", func() func() { return tb.Add([]string{"tcp://0.0.0.0:7000"}, "tcp://localhost:7000") }, "tcp://0.0.0.0:7000", "tcp://localhost:7000", true},
		{"other address untouched", func() func() { return tb.Add([]string{"tcp://0.0.0.0:7000"}, "tcp://localhost:7000") }, "tcp://0.0.0.0:7001", "tcp://0.0.0.0:7001", false},
	}
	for _, c := range cases {
		release := c.do()
		got, ok := tb.Rewrite(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Rewrite(%q) = %q, %v; want %q, %v", c.name, c.in, got, ok, c.want, c.ok)
		}
		release()
		if _, ok := tb.Rewrite(c.in); ok {
			t.Errorf("%s: rule outlived its release", c.name)
		}
	}
}

func TestTableLatestWins(t *testing.T) {
	var tb Table
	r1 := tb.Add([]string{"x"}, "a")
	r2 := tb.Add([]string{"x"}, "b")
	if got, _ := tb.Rewrite("x"); got != "b" {
		t.Fatalf("got %q; want the latest capture", got)
	}
	r2()
	if got, _ := tb.Rewrite("x"); got != "a" {
		t.Fatalf("got %q after releasing the latest; want the earlier one", got)
	}
	r1()
}
