package addr

import "testing"

func TestCapturesRewrite(t *testing.T) {
	var tb Captures
	cases := []struct {
		name string
		do   func() func()
		in   string
		want string
		ok   bool
	}{
		{"no rule", func() func() { return func() {} }, "tcp://0.0.0.0:7000", "tcp://0.0.0.0:7000", false},
		{"one rule", func() func() { return tb.Add([]string{"tcp://0.0.0.0:7000"}, "tcp://localhost:7000", [16]byte{}) }, "tcp://0.0.0.0:7000", "tcp://localhost:7000", true},
		{"spelled otherwise", func() func() { return tb.Add([]string{"tcp://LocalHost:07000"}, "tcp://10.0.0.1:7000", [16]byte{}) }, "tcp://localhost:7000", "tcp://10.0.0.1:7000", true},
		{"IPv6 spelled otherwise", func() func() { return tb.Add([]string{"tcp://[0:0::0]:7000"}, "tcp://10.0.0.1:7000", [16]byte{}) }, "tcp://[::]:7000", "tcp://10.0.0.1:7000", true},
		{"other address untouched", func() func() { return tb.Add([]string{"tcp://0.0.0.0:7000"}, "tcp://localhost:7000", [16]byte{}) }, "tcp://0.0.0.0:7001", "tcp://0.0.0.0:7001", false},
	}
	for _, c := range cases {
		release := c.do()
		got, ok := tb.Rewrite(c.in, [16]byte{})
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Rewrite(%q) = %q, %v; want %q, %v", c.name, c.in, got, ok, c.want, c.ok)
		}
		release()
		if _, ok := tb.Rewrite(c.in, [16]byte{}); ok {
			t.Errorf("%s: rule outlived its release", c.name)
		}
	}
}

func TestCapturesLatestWins(t *testing.T) {
	var tb Captures
	r1 := tb.Add([]string{"x"}, "a", [16]byte{})
	r2 := tb.Add([]string{"x"}, "b", [16]byte{})
	if got, _ := tb.Rewrite("x", [16]byte{}); got != "b" {
		t.Fatalf("got %q; want the latest capture", got)
	}
	r2()
	if got, _ := tb.Rewrite("x", [16]byte{}); got != "a" {
		t.Fatalf("got %q after releasing the latest; want the earlier one", got)
	}
	r1()
}

// Two captures of one address, to two actors (the same deployment on two
// hosts): a ref reaches the one that reached its actor, whichever came
// last; a ref to neither, the latest.
func TestCapturesPreferTheRefsActor(t *testing.T) {
	var tb Captures
	x, y, other := [16]byte{1}, [16]byte{2}, [16]byte{3}
	rx := tb.Add([]string{"tcp://0.0.0.0:7000"}, "tcp://10.0.0.1:7000", x)
	ry := tb.Add([]string{"tcp://0.0.0.0:7000"}, "tcp://10.0.0.2:7000", y)
	defer ry()
	for _, c := range []struct {
		actor [16]byte
		want  string
	}{{x, "tcp://10.0.0.1:7000"}, {y, "tcp://10.0.0.2:7000"}, {other, "tcp://10.0.0.2:7000"}} {
		if got, ok := tb.Rewrite("tcp://0.0.0.0:7000", c.actor); got != c.want || !ok {
			t.Errorf("Rewrite for actor %x = %q, %v; want %q", c.actor[0], got, ok, c.want)
		}
	}
	rx()
	if got, _ := tb.Rewrite("tcp://0.0.0.0:7000", x); got != "tcp://10.0.0.2:7000" {
		t.Errorf("once its capture is released, a ref to x: %q; want the one left", got)
	}
}
