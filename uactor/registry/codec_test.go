package registry

import (
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func TestPickedAndConfigRoundTrip(t *testing.T) {
	for _, p := range []Picked{{}, {Address: "tcp://localhost:1", OK: true}} {
		b, _ := p.AppendBinary(nil)
		var got Picked
		if err := got.UnmarshalBinary(b); err != nil || got != p {
			t.Fatalf("Picked round trip: %+v, %v", got, err)
		}
	}
	var p Picked
	if err := p.UnmarshalBinary([]byte{2, 0}); !errors.Is(err, uactor.ErrDecode) {
		t.Fatalf("bad Picked: %v", err)
	}
	for _, c := range []Config{{}, {ProbeInterval: -1, DialTimeout: time.Minute, MaxEntries: 70000}} {
		b, _ := c.AppendBinary(nil)
		var got Config
		if err := got.UnmarshalBinary(b); err != nil || got != c {
			t.Fatalf("Config round trip: %+v, %v", got, err)
		}
	}
	var c Config
	if err := c.UnmarshalBinary([]byte{2}); !errors.Is(err, uactor.ErrDecode) {
		t.Fatalf("bad Config: %v", err)
	}
}

// FuzzParseEntry: whatever string an Addresses carries, parsing it never
// panics, and an accepted address is canonical: it parses to itself.
func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"tcp://localhost:5000", "unix:///a", "", "b:1", "tcp://[::1]:1", "unix://@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseEntry(s)
		if err != nil {
			return
		}
		if again, err := parseEntry(e.addr); err != nil || again != e {
			t.Fatalf("parseEntry(%q) = %+v, but its address parses to %+v, %v", s, e, again, err)
		}
	})
}
