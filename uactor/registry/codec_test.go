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

// FuzzMessages decodes arbitrary bytes as each message type the registry
// declares: each decodes or fails with ErrDecode, never panics, and what
// decodes travels again unchanged.
func FuzzMessages(f *testing.F) {
	for _, v := range []interface{ AppendBinary([]byte) ([]byte, error) }{
		Picked{}, Picked{Address: "tcp://localhost:1", OK: true}, Config{}, Config{ProbeInterval: -1, MaxEntries: 70000},
	} {
		b, _ := v.AppendBinary(nil)
		f.Add(b)
	}
	f.Add([]byte{2, 0})
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		decodesOrFails[Picked](t, b)
		decodesOrFails[Config](t, b)
	})
}

// decodesOrFails decodes b as a T: it fails with ErrDecode, or what it
// decoded travels again unchanged.
func decodesOrFails[T comparable, P interface {
	*T
	UnmarshalBinary([]byte) error
	AppendBinary([]byte) ([]byte, error)
}](t *testing.T, b []byte) {
	var v T
	if err := P(&v).UnmarshalBinary(b); err != nil {
		if !errors.Is(err, uactor.ErrDecode) {
			t.Fatalf("%T from % x: %v does not wrap ErrDecode", v, b, err)
		}
		return
	}
	var again T
	if err := P(&again).UnmarshalBinary(mustAppend(t, P(&v))); err != nil || again != v {
		t.Fatalf("%T %+v travelled as %+v, %v", v, v, again, err)
	}
}

func mustAppend(t *testing.T, v interface{ AppendBinary([]byte) ([]byte, error) }) []byte {
	b, err := v.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
