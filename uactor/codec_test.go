package uactor

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/uactor/wire"
)

// point is a user type that travels by implementing AppendBinary and UnmarshalBinary.
type point struct {
	X, Y int64
	Name string
}

func (p point) AppendBinary(b []byte) ([]byte, error) {
	b = wire.AppendVarint(b, p.X)
	b = wire.AppendVarint(b, p.Y)
	return wire.AppendString(b, p.Name), nil
}

func (p *point) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	p.X, p.Y, p.Name = r.Varint(), r.Varint(), r.String()
	return r.Close()
}

// legacy travels through MarshalBinary, with a pointer receiver.
type legacy struct{ s string }

func (l *legacy) MarshalBinary() ([]byte, error) { return []byte(l.s), nil }
func (l *legacy) UnmarshalBinary(b []byte) error { l.s = string(b); return nil }

func roundTrip[T any](t *testing.T, v T, eq func(a, b T) bool) {
	t.Helper()
	c, err := codecFor[T]("test")
	if err != nil {
		t.Fatalf("%T: %v", v, err)
	}
	b, err := c.append([]byte("prefix"), v)
	if err != nil {
		t.Fatalf("%T: encode: %v", v, err)
	}
	got, err := c.decode(b[len("prefix"):])
	if err != nil {
		t.Fatalf("%T: decode: %v", v, err)
	}
	if !eq(v, got) {
		t.Fatalf("%T: round trip %v -> %v", v, v, got)
	}
}

// decodeValue decodes b as a T into *v, through T's codec.
func decodeValue[T any](b []byte, v *T) error {
	c, err := codecFor[T]("test")
	if err != nil {
		return err
	}
	x, err := c.decode(b)
	if err == nil {
		*v = x
	}
	return err
}

func same[T comparable](a, b T) bool { return a == b }

func TestCodecBuiltins(t *testing.T) {
	roundTrip(t, true, same)
	roundTrip(t, false, same)
	roundTrip(t, int(math.MinInt), same)
	roundTrip(t, int8(-128), same)
	roundTrip(t, int16(math.MaxInt16), same)
	roundTrip(t, int32(math.MinInt32), same)
	roundTrip(t, int64(math.MaxInt64), same)
	roundTrip(t, uint(math.MaxUint), same)
	roundTrip(t, uint8(255), same)
	roundTrip(t, uint16(math.MaxUint16), same)
	roundTrip(t, uint32(math.MaxUint32), same)
	roundTrip(t, uint64(math.MaxUint64), same)
	roundTrip(t, uintptr(12345), same)
	roundTrip(t, float32(-1.5), same)
	roundTrip(t, math.Pi, same)
	roundTrip(t, complex64(complex(-1.5, 2)), same)
	roundTrip(t, complex(math.MaxFloat64, -math.SmallestNonzeroFloat64), same)
	roundTrip(t, "héllo\x00world", same)
	roundTrip(t, "", same)
	roundTrip(t, Empty{}, same)
	roundTrip(t, 90*time.Second, same)
	roundTrip(t, time.Date(2026, 11, 24, 1, 2, 3, 4, time.FixedZone("X", 3600)), func(a, b time.Time) bool { return a.Equal(b) })
	// Offsets the time package cannot write (a local mean time of −75 s,
	// as London's before 1847) keep their instant, alone and as elements.
	lmt := time.Date(1800, 1, 2, 3, 4, 5, 6, time.FixedZone("LMT", -75))
	roundTrip(t, lmt, func(a, b time.Time) bool { return a.Equal(b) })
	roundTrip(t, []time.Time{lmt, {}}, func(a, b []time.Time) bool { return len(b) == 2 && a[0].Equal(b[0]) && b[1].IsZero() })
	roundTrip(t, []byte{0, 1, 2, 255}, bytes.Equal)
	roundTrip(t, []byte{}, bytes.Equal)
	roundTrip(t, Lent{0, 1, 2, 255}, func(a, b Lent) bool { return bytes.Equal(a, b) })
	roundTrip(t, point{-3, 4, "p"}, same)
	roundTrip(t, legacy{"old"}, same)
}

// TestCodecTimeKeepsOffset: a time arrives in its zone's offset, to the
// second, alone and as an element; only the offsets the time package
// cannot write (−119 to −60 s) arrive as UTC.
func TestCodecTimeKeepsOffset(t *testing.T) {
	for _, tc := range []struct {
		name      string
		offset    int // seconds east of UTC
		arrivesAs int
	}{
		{"whole hours east", 3600, 3600},
		{"whole minutes west", -(5*3600 + 30*60), -(5*3600 + 30*60)},
		{"seconds east", 17762, 17762},
		{"seconds west (New York's local mean time)", -17762, -17762},
		{"seconds west, under a minute", -30, -30},
		{"seconds west, just over two minutes", -121, -121},
		{"west, minutes that read as UTC", -75, 0},
	} {
		in := time.Date(1880, 6, 1, 12, 0, 0, 7, time.FixedZone("Z", tc.offset))
		check := func(how string, got time.Time) {
			if _, off := got.Zone(); !got.Equal(in) || off != tc.arrivesAs {
				t.Errorf("%s %s: sent %s, got %s (offset %d s, want %d)", tc.name, how, in, got, off, tc.arrivesAs)
			}
		}
		one, err := codecFor[time.Time]("test")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := one.append(nil, in)
		got, err := one.decode(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		check("alone", got)
		many, _ := codecFor[[]time.Time]("test")
		b, _ = many.append(nil, []time.Time{in})
		all, err := many.decode(b)
		if err != nil || len(all) != 1 {
			t.Fatalf("%s as an element: %v, %v", tc.name, all, err)
		}
		check("as an element", all[0])
	}
}

func TestCodecRejectsBadInput(t *testing.T) {
	var i8 int8
	var u16 uint16
	var bl bool
	var e Empty
	var f float64
	var p point
	cases := map[string]error{
		"int8 overflow":     decodeValue(appendVar(300), &i8),
		"uint16 overflow":   decodeValue(appendUvar(1<<20), &u16),
		"bool 2":            decodeValue([]byte{2}, &bl),
		"empty with bytes":  decodeValue([]byte{1}, &e),
		"short float":       decodeValue([]byte{1, 2}, &f),
		"short complex":     decodeValue(make([]byte, 15), new(complex128)),
		"long complex":      decodeValue(make([]byte, 9), new(complex64)),
		"trailing varint":   decodeValue(append(appendVar(1), 0), &i8),
		"truncated struct":  decodeValue([]byte{2}, &p),
		"malformed varint":  decodeValue([]byte{0xff}, &i8),
		"empty uint8 input": decodeValue([]byte{}, new(uint8)),
		// time.Time's binary form holds its nanoseconds in 32 bits; the
		// time package reads any of them back, into a time whose
		// Nanosecond is past 999999999 or whose instant moved.
		"time nanoseconds 1e9":       decodeValue(timeWithNanos(1e9), new(time.Time)),
		"time nanoseconds 2^31-1":    decodeValue(timeWithNanos(math.MaxInt32), new(time.Time)),
		"time nanoseconds negative":  decodeValue(timeWithNanos(math.MaxUint32), new(time.Time)),
		"[]time.Time with 1e9 nanos": decodeValue(append([]byte{1, 15}, timeWithNanos(1e9)...), new([]time.Time)),
	}
	for name, err := range cases {
		if !errors.Is(err, ErrDecode) {
			t.Errorf("%s: err = %v; want ErrDecode", name, err)
		}
	}
	// int, uint and uintptr take what their width on this platform holds:
	// 2^40 decodes where they are 64 bits wide, and overflows where 32.
	for name, err := range map[string]error{
		"int":     decodeValue(appendVar(1<<40), new(int)),
		"uint":    decodeValue(appendUvar(1<<40), new(uint)),
		"uintptr": decodeValue(appendUvar(1<<40), new(uintptr)),
		"[]int":   decodeValue(append([]byte{1}, appendVar(1<<40)...), new([]int)),
	} {
		if fits := strconv.IntSize == 64; fits != (err == nil) || !fits && !errors.Is(err, ErrDecode) {
			t.Errorf("%s of 2^40 on a %d-bit platform: %v", name, strconv.IntSize, err)
		}
	}
}

// timeWithNanos is a time.Time's binary form with ns in its nanoseconds.
func timeWithNanos(ns uint32) []byte {
	b, err := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC).MarshalBinary()
	if err != nil {
		panic(err)
	}
	binary.BigEndian.PutUint32(b[9:13], ns)
	return b
}

type panicky struct{}

func (panicky) AppendBinary(b []byte) ([]byte, error) { return b, nil }
func (*panicky) UnmarshalBinary([]byte) error         { panic("bad") }

func TestCodecRecoversUnmarshalPanic(t *testing.T) {
	var v panicky
	if err := decodeValue([]byte{1}, &v); !errors.Is(err, ErrDecode) {
		t.Fatalf("err = %v", err)
	}
}

// codecTestKind is package-level so that the test can run more than once
// (-count): a kind cannot be defined twice.
var codecTestKind = Define("codec-test-kind", func(ctx context.Context, _ Empty) (*int, error) { return new(int), nil })

func TestExposeRejectsTypesThatCannotTravel(t *testing.T) {
	type opaque struct{ _ chan int }
	k := codecTestKind
	defer func() {
		r := recover()
		msg, _ := r.(string)
		if !strings.Contains(msg, "AppendBinary") || !strings.Contains(msg, "UnmarshalBinary") {
			t.Fatalf("panic = %v; want a message that says what to implement", r)
		}
	}()
	Expose(k, "bad", func(a *int, ctx context.Context, req opaque) (Empty, error) { return Empty{}, nil })
	t.Fatal("Expose accepted a request type that cannot travel")
}

// exposePanic returns what Expose panics with for a request of type T.
func exposePanic[T any](name string) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	Expose(codecTestKind, name, func(*int, context.Context, T) (Empty, error) { return Empty{}, nil })
	return ""
}

// Expose's panic names an interface, a pointer or an unnamed type as
// declared, and says what to do: never "<nil>" (a zero interface's %T) or a
// method on a pointer to a pointer or on an unnamed type, which no type can
// have, even when the pointed-to type has the codec's methods.
func TestExposeMessageNamesTypeAndFix(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		want      string // what the message must say for the fix
	}{
		{"any", exposePanic[any]("any"), "interface"},
		{"error", exposePanic[error]("error"), "interface"},
		{"*uactor.point", exposePanic[*point]("*point"), "declare the method with uactor.point"},
		{"*time.Time", exposePanic[*time.Time]("*time.Time"), "declare the method with time.Time"},
		// No file declares an unnamed type, and no method can be added to
		// one: the fix is a named type.
		{"[4]int", exposePanic[[4]int]("[4]int"), "declare a named type"},
		{"struct { X int }", exposePanic[struct{ X int }]("struct"), "declare a named type"},
		{"[]uactor.point", exposePanic[[]point]("[]point"), "declare a named type"},
		{"struct {}", exposePanic[struct{}]("struct {}"), "uactor.Empty"},
		{"chan int", exposePanic[chan int]("chan"), "never travel"},
		{"func()", exposePanic[func()]("func"), "never travel"},
		// No program can declare methods on another package's type, nor
		// generate msgp's for it: the fix is a type of its own holding it.
		{"big.Int", exposePanic[big.Int]("big.Int"), "a type of your own"},
		{"net.IP", exposePanic[net.IP]("net.IP"), "a type of your own"},
		{"slog.Level", exposePanic[slog.Level]("slog.Level"), "a type of your own"},
		// A dependency's type may be the program's own, or not.
		{"uuid.Domain", exposePanic[uuid.Domain]("uuid.Domain"), "if package github.com/google/uuid is not yours, declare a type of your own"},
		// Text methods are not a codec, but may serve one.
		{"uactor.textOnly", exposePanic[textOnly]("textOnly"), "MarshalText and UnmarshalText are not used"},
		{"net.IP", exposePanic[net.IP]("net.IP again"), "MarshalText and UnmarshalText are not used"},
		{"net.IP", exposePanic[net.IP]("net.IP as []byte"), "send its underlying []byte instead"},
		// A named type over a built-in travels as the built-in.
		{"uactor.celsius", exposePanic[celsius]("celsius"), "its underlying float64"},
		{"uactor.tagSet", exposePanic[tagSet]("tagSet"), "its underlying []string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.msg == "" || tc.msg == "<nil>" {
				t.Fatalf("Expose accepted %s", tc.name)
			}
			local := strings.HasPrefix(tc.name, "uactor.") // this package may declare methods on it
			if strings.Contains(tc.msg, "<nil>") || strings.Contains(tc.msg, "**") ||
				!local && strings.Contains(tc.msg, "*"+tc.name+".") && !strings.Contains(tc.msg, "is not yours") ||
				!local && strings.Contains(tc.msg, "the file that declares it") && !strings.Contains(tc.msg, "is not yours") {
				t.Errorf("message names no real type or an impossible method: %s", tc.msg)
			}
			if !strings.Contains(tc.msg, tc.want) || !strings.Contains(tc.msg, tc.name) {
				t.Errorf("message does not name %s and say %q: %s", tc.name, tc.want, tc.msg)
			}
		})
	}
}

// msgp generates no codec for a map whose keys are not of type string (it skips
// such a type, and such a field, without a word), so for one Expose's
// panic must not send the user to msgp's go:generate line, which would
// leave Expose panicking as before: the fix it names is AppendBinary.
func TestExposeAdviceForMapsMsgpSkips(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		msgp      bool // msgp generates a codec for the named type the message asks for
	}{
		{"map[uint32]int", exposePanic[map[uint32]int]("map[uint32]int"), false},
		{"map[int32]string", exposePanic[map[int32]string]("map[int32]string"), false},
		{"map[[2]int]bool", exposePanic[map[[2]int]bool]("map[[2]int]bool"), false},
		{"uactor.seenSet", exposePanic[seenSet]("seenSet"), false},
		{"map[uactor.label]int", exposePanic[map[label]int]("map[label]int"), false}, // a named string type is not string
		// String keys: msgp generates the codec, and its line is the fix.
		{"map[string]uint8", exposePanic[map[string]uint8]("map[string]uint8"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.msg == "" || tc.msg == "<nil>" {
				t.Fatalf("Expose accepted %s", tc.name)
			}
			if !strings.Contains(tc.msg, tc.name) {
				t.Errorf("message does not name %s: %s", tc.name, tc.msg)
			}
			if got := strings.Contains(tc.msg, "go:generate"); got != tc.msgp {
				t.Errorf("message advises msgp's go:generate line: %v, want %v: %s", got, tc.msgp, tc.msg)
			}
			if !tc.msgp && (!strings.Contains(tc.msg, "AppendBinary") || !strings.Contains(tc.msg, "keys are not of type string")) {
				t.Errorf("message does not say why msgp will not do and what will (AppendBinary): %s", tc.msg)
			}
		})
	}
}

// seenSet is a named map whose keys are not strings; label is a string
// type other than string.
type (
	seenSet map[uint32]int
	label   string
)

// textOnly has text methods only.
type textOnly struct{ s string }

func (t textOnly) MarshalText() ([]byte, error)  { return []byte(t.s), nil }
func (t *textOnly) UnmarshalText(b []byte) error { t.s = string(b); return nil }

// celsius and tagSet are named types over built-ins.
type (
	celsius float64
	tagSet  []string
)

func appendVar(v int64) []byte   { return wire.AppendVarint(nil, v) }
func appendUvar(v uint64) []byte { return wire.AppendUvarint(nil, v) }

// FuzzDecode feeds arbitrary bytes to every built-in codec and to Ref: each
// must decode or return an error that wraps ErrDecode (or, for a ref, ErrAuthKey), never panic; and what decodes must encode, to bytes that
// decode to the same value and encode to themselves again (the encoding is
// the canonical form of what was decoded, though the input may have been
// a longer form of it, such as a varint with needless bytes). A key is
// held under fuzzKeyID, so that refs naming it decode as far as a handle.
func FuzzDecode(f *testing.F) {
	f.Cleanup(heldKeys.AddAs([]byte("fuzz-decode-key"), fuzzKeyID))
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(appendVar(-1 << 40))
	f.Add([]byte{refVersion, 1, 'k'})
	f.Add(fuzzRef("unix:///tmp/fuzz.sock", 42))
	f.Add(fuzzRef("tcp://127.0.0.1:9", 1<<31-1))
	// A complex64's and a complex128's length, each part a −0 or a NaN
	// with a payload.
	f.Add([]byte{0x80, 0, 0, 0, 0x7f, 0x80, 0, 1})
	f.Add([]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xf0, 0, 0, 0, 0, 0, 1})
	f.Add(timeWithNanos(1e9)) // a time.Time's length, its nanoseconds a second
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzRoundTrip(t, "bool", b, same[bool])
		fuzzRoundTrip(t, "int", b, same[int])
		fuzzRoundTrip(t, "int8", b, same[int8])
		fuzzRoundTrip(t, "int16", b, same[int16])
		fuzzRoundTrip(t, "int32", b, same[int32])
		fuzzRoundTrip(t, "int64", b, same[int64])
		fuzzRoundTrip(t, "uint", b, same[uint])
		fuzzRoundTrip(t, "uint8", b, same[uint8])
		fuzzRoundTrip(t, "uint16", b, same[uint16])
		fuzzRoundTrip(t, "uint32", b, same[uint32])
		fuzzRoundTrip(t, "uint64", b, same[uint64])
		fuzzRoundTrip(t, "uintptr", b, same[uintptr])
		fuzzRoundTrip(t, "float32", b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
		fuzzRoundTrip(t, "float64", b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
		fuzzRoundTrip(t, "complex64", b, func(x, y complex64) bool {
			return math.Float32bits(real(x)) == math.Float32bits(real(y)) && math.Float32bits(imag(x)) == math.Float32bits(imag(y))
		})
		fuzzRoundTrip(t, "complex128", b, func(x, y complex128) bool {
			return math.Float64bits(real(x)) == math.Float64bits(real(y)) && math.Float64bits(imag(x)) == math.Float64bits(imag(y))
		})
		fuzzRoundTrip(t, "string", b, same[string])
		fuzzRoundTrip(t, "[]byte", b, bytes.Equal)
		fuzzRoundTrip(t, "Empty", b, same[Empty])
		fuzzRoundTrip(t, "time.Duration", b, same[time.Duration])
		fuzzRoundTrip(t, "time.Time", b, time.Time.Equal)
		fuzzRoundTrip(t, "point", b, same[point])
		fuzzRoundTrip(t, "Ref[*int]", b, func(x, y Ref[*int]) bool {
			bx, _ := x.MarshalBinary()
			by, _ := y.MarshalBinary()
			x.Close()
			y.Close()
			return bytes.Equal(bx, by)
		})
		decodeError("m", b)
		decodeBootstrap(b)
		decodeReady(b)
	})
}

// fuzzKeyID is the id FuzzDecode holds its key under.
var fuzzKeyID = [8]byte{'f', 'u', 'z', 'z', 'k', 'e', 'y', 1}

// fuzzRef is the binary form of a ref to kind "k" at adv, naming fuzzKeyID.
func fuzzRef(adv string, pid uint64) []byte {
	b := wire.AppendString([]byte{refVersion}, "k")
	id := uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	b = append(b, id[:]...)
	b = wire.AppendString(b, adv)
	b = wire.AppendUvarint(b, pid)
	return append(b, fuzzKeyID[:]...)
}

// fuzzRoundTrip decodes b as a T: it must fail with ErrDecode (or
// ErrAuthKey), or give a value whose encoding decodes to an equal value
// (by eq, which may close what it compares) and encodes to the same bytes.
func fuzzRoundTrip[T any](t *testing.T, name string, b []byte, eq func(x, y T) bool) {
	t.Helper()
	c, err := codecFor[T]("test")
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	v, err := c.decode(b)
	if err != nil {
		if !errors.Is(err, ErrDecode) && !errors.Is(err, ErrAuthKey) {
			t.Errorf("%s from % x: %v does not wrap ErrDecode", name, b, err)
		}
		return
	}
	enc, err := c.append(nil, v)
	if err != nil {
		t.Fatalf("%s from % x decodes to %v, which does not encode: %v", name, b, v, err)
	}
	v2, err := c.decode(enc)
	if err != nil {
		t.Fatalf("%s from % x decodes to %v, whose encoding % x does not decode: %v", name, b, v, enc, err)
	}
	again, err := c.append(nil, v2)
	if err != nil || !bytes.Equal(again, enc) {
		t.Fatalf("%s from % x: encoded % x, decoded and encoded again % x (%v)", name, b, enc, again, err)
	}
	if !eq(v, v2) {
		t.Fatalf("%s from % x decodes to %v, whose encoding % x decodes to %v", name, b, v, enc, v2)
	}
}
