package addr

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" means an error
	}{
		{"unix:///tmp/x/actor.sock", "unix:///tmp/x/actor.sock"},
		{"unix://relative.sock", "unix://relative.sock"},
		{"tcp://localhost:7000", "tcp://localhost:7000"},
		{"localhost:7000", "tcp://localhost:7000"},
		{"tcp://0.0.0.0:0", "tcp://0.0.0.0:0"},
		{"[::1]:80", "tcp://[::1]:80"},
		{"unix://", ""},
		{"http://host:80", ""},
		{"localhost", ""},
		{"tcp://", ""},
	} {
		a, err := Parse(c.in)
		if got := a.String(); c.want == "" && err == nil || c.want != "" && (err != nil || got != c.want) {
			t.Errorf("Parse(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestCanonical(t *testing.T) {
	for _, c := range []struct {
		in, want string // want "" means an error
	}{
		{"unix:///tmp/x/../y/actor.sock", "unix:///tmp/y/actor.sock"},
		{"unix://@abstract", "unix://@abstract"},
		{"unix://relative.sock", ""},
		{"unix://@", ""},
		{"LocalHost:7000", "tcp://localhost:7000"},
		{"tcp://[0:0::1]:07000", "tcp://[::1]:7000"},
		{"tcp://127.0.0.1:0", ""},
		{"tcp://127.0.0.1:65536", ""},
		{"tcp://:7000", ""},
		{"tcp://\xed\xed:1", ""},
		{"tcp://bücher.example:1", ""},
		{"tcp://h:" + strings.Repeat("1", MaxLen), ""},
	} {
		a, err := Canonical(c.in)
		if got := a.String(); c.want == "" && err == nil || c.want != "" && (err != nil || got != c.want) {
			t.Errorf("Canonical(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
		if err == nil {
			if again, err := Canonical(a.String()); err != nil || again != a {
				t.Errorf("Canonical(%q) = %q is not a fixed point: %q, %v", c.in, a, again, err)
			}
		}
	}
}
