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
		{"one rule", func() func() { return tb.Add([]string{"tcp://0.0.0.0:7000"}, "tcp://localhost:7000") }, "tcp://0.0.0.0:7000", "tcp://localhost:7000", true},
		{"spelled otherwise", func() func() { return tb.Add([]string{"tcp://LocalHost:07000"}, "tcp://10.0.0.1:7000") }, "tcp://localhost:7000", "tcp://10.0.0.1:7000", true},
		{"IPv6 spelled otherwise", func() func() { return tb.Add([]string{"tcp://[0:0::0]:7000"}, "tcp://10.0.0.1:7000") }, "tcp://[::]:7000", "tcp://10.0.0.1:7000", true},
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

func TestCapturesLatestWins(t *testing.T) {
	var tb Captures
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
