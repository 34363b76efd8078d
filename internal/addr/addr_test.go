package addr

import (
	"strings"
	"testing"
)

// parseCase is an input and the address it must give; want "" means an
// error.
type parseCase struct{ in, want string }

// checkParse runs parse, which is called name, over cases, and returns the
// addresses it accepted.
func checkParse(t *testing.T, name string, parse func(string) (Addr, error), cases []parseCase) []Addr {
	t.Helper()
	var ok []Addr
	for _, c := range cases {
		a, err := parse(c.in)
		if got := a.String(); c.want == "" && err == nil || c.want != "" && (err != nil || got != c.want) {
			t.Errorf("%s(%q) = %q, %v; want %q", name, c.in, got, err, c.want)
		}
		if err == nil {
			ok = append(ok, a)
		}
	}
	return ok
}

func TestParse(t *testing.T) {
	checkParse(t, "Parse", Parse, []parseCase{
		{"unix:///tmp/x/actor.sock", "unix:///tmp/x/actor.sock"},
		{"unix://relative.sock", "unix://relative.sock"},
		{"tcp://localhost:7000", "tcp://localhost:7000"},
		{"localhost:7000", "tcp://localhost:7000"},
		{"tcp://0.0.0.0:0", "tcp://0.0.0.0:0"},
		{"[::1]:80", "tcp://[::1]:80"},
		{"tcp://host:00", "tcp://host:0"},      // any port, however written
		{"tcp://[::1]:0080", "tcp://[::1]:80"}, // the port as refs compare it
		{"unix://", ""},
		{"unix:///tmp/a\x00b.sock", ""}, // the system would bind /tmp/a
		{"unix://@a\x00b", ""},
		{"http://host:80", ""},
		{"localhost", ""},
		{"tcp://", ""},
		{"unix:/tmp/x.sock", ""}, // one slash: host "unix", port "/tmp/x.sock"
		{"tcp://host:", ""},      // no port
		{"host:http", ""},        // a service name, which refs would carry as it is
		{"tcp://host:65536", ""}, // past the last port
		{"tcp://host:+80", ""},   // not as a number is written
	})
}

func TestCanonical(t *testing.T) {
	accepted := checkParse(t, "Canonical", Canonical, []parseCase{
		{"unix:///tmp/x/../y/actor.sock", "unix:///tmp/y/actor.sock"},
		{"unix://@abstract", "unix://@abstract"},
		{"unix://relative.sock", ""},
		{"unix://@", ""},
		{"LocalHost:7000", "tcp://localhost:7000"},
		{"tcp://[0:0::1]:07000", "tcp://[::1]:7000"},
		{"tcp://[::ffff:127.0.0.1]:80", "tcp://127.0.0.1:80"}, // IPv4-mapped: dialled over IPv4
		{"tcp://127.0.0.1:0", ""},
		{"tcp://127.0.0.1:65536", ""},
		{"tcp://:7000", ""},
		{"tcp://\xed\xed:1", ""},
		{"tcp://bücher.example:1", ""},
		{"tcp://h:" + strings.Repeat("1", MaxLen), ""},
		// Short enough bare, too long once the scheme is written out.
		{strings.Repeat("h", MaxLen-2) + ":1", ""},
		{strings.Repeat("h", MaxLen-8) + ":1", "tcp://" + strings.Repeat("h", MaxLen-8) + ":1"},
	})
	for _, a := range accepted {
		if again, err := Canonical(a.String()); err != nil || again != a {
			t.Errorf("Canonical(%q) is not a fixed point: %q, %v", a, again, err)
		}
	}
}
