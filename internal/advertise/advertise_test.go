package advertise

import "testing"

func TestFor(t *testing.T) {
	for _, c := range []struct{ flag, listen, want string }{
		{"10.0.0.5", "tcp://0.0.0.0:0", "tcp://10.0.0.5:0"},
		{"10.0.0.5:7000", "tcp://0.0.0.0:0", "tcp://10.0.0.5:7000"},
		{"tcp://a.example:0", "tcp://0.0.0.0:0", "tcp://a.example:0"},
		{"::1", "tcp://0.0.0.0:0", "tcp://[::1]:0"},
		{"", "tcp://127.0.0.1:0", ""},
		{"", "tcp://localhost:6000", ""},
	} {
		if got, ok := For(c.flag, c.listen); got != c.want || !ok {
			t.Errorf("For(%q, %q) = %q, %v; want %q, true", c.flag, c.listen, got, ok, c.want)
		}
	}
	// Every interface: this host's one address, or none known.
	for _, listen := range []string{"tcp://0.0.0.0:0", "tcp://:0", "tcp://[::]:0"} {
		got, ok := For("", listen)
		if ok == (got == "") {
			t.Errorf("For(\"\", %q) = %q, %v: an address exactly when it is known", listen, got, ok)
		}
	}
}
