package advertise

import (
	"net"
	"testing"
)

func TestFor(t *testing.T) {
	for _, c := range []struct{ flag, listen, want string }{
		{"10.0.0.5", "tcp://0.0.0.0:0", "tcp://10.0.0.5:0"},
		{"10.0.0.5:7000", "tcp://0.0.0.0:0", "tcp://10.0.0.5:7000"},
		{"tcp://a.example:0", "tcp://0.0.0.0:0", "tcp://a.example:0"},
		{"tcp://10.0.0.5", "tcp://0.0.0.0:0", "tcp://10.0.0.5:0"},
		{"tcp://a.example", "tcp://0.0.0.0:0", "tcp://a.example:0"},
		{"tcp://[::1]", "tcp://0.0.0.0:0", "tcp://[::1]:0"},
		{"::1", "tcp://0.0.0.0:0", "tcp://[::1]:0"},
		{"[::1]", "tcp://0.0.0.0:0", "tcp://[::1]:0"},
		{"[fe80::1%eth0]", "tcp://0.0.0.0:0", "tcp://[fe80::1%eth0]:0"},
		{"[::1]:7000", "tcp://0.0.0.0:0", "tcp://[::1]:7000"},
		{"10.0.0.5:", "tcp://0.0.0.0:0", "tcp://10.0.0.5:0"},
		{"tcp://[::1]:", "tcp://0.0.0.0:0", "tcp://[::1]:0"},
		{"", "tcp://127.0.0.1:0", ""},
		{"", "tcp://localhost:6000", ""},
		{"", "127.0.0.1:6000", ""}, // bare, as Listen takes it: TCP
		{"", "unix", ""},           // a Unix socket: no other host dials it, whatever is advertised
		{"", "unix:///tmp/actor.sock", ""},
	} {
		if got, ok := For(c.flag, c.listen); got != c.want || !ok {
			t.Errorf("For(%q, %q) = %q, %v; want %q, true", c.flag, c.listen, got, ok, c.want)
		}
	}
	// Every interface: this host's one address (theOne's rule, below), or
	// none known.
	one, err := only()
	for _, listen := range []string{"tcp://0.0.0.0:0", "tcp://:0", "tcp://[::]:0", "tcp://[::ffff:0.0.0.0]:0", "0.0.0.0:7000", ":7000", "[::]:7000"} {
		got, ok := For("", listen)
		if ok != (err == nil) || ok && got != "tcp://"+one.String()+":0" || !ok && got != "" {
			t.Errorf("For(\"\", %q) = %q, %v; this host's one address is %v (%v)", listen, got, ok, one, err)
		}
	}
}

func TestTheOne(t *testing.T) {
	up := net.FlagUp | net.FlagBroadcast
	for _, c := range []struct {
		name  string
		links []link
		want  string // "" for an error
	}{
		{"none", nil, ""},
		{"one", []link{{up, []string{"10.0.0.5/24", "fe80::1/64"}}}, "10.0.0.5"},
		{"loopback and down ones do not count", []link{
			{up | net.FlagLoopback, []string{"127.0.0.1/8"}},
			{net.FlagBroadcast, []string{"10.0.0.6/24"}},
			{up, []string{"192.168.1.2/24"}},
		}, "192.168.1.2"},
		{"IPv6 and link-local only", []link{{up, []string{"2001:db8::1/64", "169.254.1.1/16"}}}, ""},
		{"several", []link{{up, []string{"10.0.0.5/24"}}, {up, []string{"10.1.0.5/24"}}}, ""},
		{"garbage skipped", []link{{up, []string{"not an address", "10.0.0.7/8"}}}, "10.0.0.7"},
	} {
		got, err := theOne(c.links)
		if c.want == "" && err == nil || c.want != "" && (err != nil || got.String() != c.want) {
			t.Errorf("%s: theOne = %v, %v; want %q", c.name, got, err, c.want)
		}
	}
}
