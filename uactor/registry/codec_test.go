package registry

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func TestAddressesRoundTrip(t *testing.T) {
	for _, a := range []Addresses{nil, {""}, {"tcp://localhost:5000"}, {"unix:///tmp/a.sock", "tcp://[::1]:1", "ü"}} {
		b, err := a.AppendBinary([]byte{0xff})
		if err != nil {
			t.Fatal(err)
		}
		var got Addresses
		if err := got.UnmarshalBinary(b[1:]); err != nil || !slices.Equal(got, a) {
			t.Fatalf("round trip of %q: %q, %v", a, got, err)
		}
	}
}

func TestAddressesBadInput(t *testing.T) {
	good, _ := Addresses{"tcp://a:1", "tcp://b:2"}.AppendBinary(nil)
	for name, b := range map[string][]byte{
		"empty":     {},
		"truncated": good[:len(good)-1],
		"trailing":  append(good[:len(good):len(good)], 0),
		"count lie": {0xff, 0xff, 0xff, 0xff, 0x0f, 0},
		"long str":  {1, 5, 'a'},
	} {
		a := Addresses{"keep"}
		if err := a.UnmarshalBinary(b); !errors.Is(err, uactor.ErrDecode) {
			t.Errorf("%s: %v; want ErrDecode", name, err)
		}
		if !slices.Equal(a, Addresses{"keep"}) {
			t.Errorf("%s: a failed decode changed the value to %q", name, a)
		}
	}
}

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
	for _, c := range []Config{{}, {ProbeInterval: -1, DialTimeout: time.Minute}} {
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

// FuzzAddresses: any input either fails to decode or decodes to a value
// whose encoding decodes to the same value; decoding never panics, nor
// allocates beyond the input's size.
func FuzzAddresses(f *testing.F) {
	for _, a := range []Addresses{nil, {"tcp://localhost:5000"}, {"unix:///a", "", "b:1"}} {
		b, _ := a.AppendBinary(nil)
		f.Add(b)
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Addresses
		if err := a.UnmarshalBinary(b); err != nil {
			return
		}
		if len(a) > len(b) {
			t.Fatalf("%d addresses from %d bytes", len(a), len(b))
		}
		b2, err := a.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var a2 Addresses
		if err := a2.UnmarshalBinary(b2); err != nil || !slices.Equal(a, a2) {
			t.Fatalf("re-decode: %q, %v; want %q", a2, err, a)
		}
		for _, s := range a { // whatever the bytes, parsing never panics
			parseEntry(s)
		}
	})
}
