package capture

import "testing"

func TestKeyringHoldsWhileReferenced(t *testing.T) {
	var k Keyring
	key := []byte("OtherSecret")
	fp := FingerprintOf(key)
	if _, ok := k.Lookup(fp); ok {
		t.Fatal("empty keyring found a key")
	}
	r1, r2 := k.Add(key), k.Add(key)
	if got, ok := k.Lookup(fp); !ok || string(got) != "OtherSecret" {
		t.Fatalf("Lookup = %q, %v", got, ok)
	}
	r1()
	r1() // idempotent: must not drop r2's hold
	if _, ok := k.Lookup(fp); !ok {
		t.Fatal("key dropped while still held")
	}
	r2()
	if _, ok := k.Lookup(fp); ok {
		t.Fatal("key kept after the last release")
	}
}

func TestFingerprintsDiffer(t *testing.T) {
	if FingerprintOf([]byte("a")) == FingerprintOf([]byte("b")) {
		t.Fatal("different keys share a fingerprint")
	}
	if FingerprintOf([]byte("a")) != FingerprintOf([]byte("a")) {
		t.Fatal("fingerprint not deterministic")
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
