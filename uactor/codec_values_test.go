package uactor_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/uactor"
)

// Values at the edges of what each documented type holds travel to an
// actor process and back unchanged: each echo method decodes the request
// in the actor and encodes it again as its response.

type valuesActor struct{}

var ValuesKind = uactor.Define("codec-values", func(context.Context, uactor.Empty) (valuesActor, error) {
	return valuesActor{}, nil
})

// valueCase sends each of its values through the actor and back.
type valueCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, r uactor.Ref[valuesActor])
}

// echoValues exposes an echo method for T, and returns the case that sends
// vs through it; same says whether a value came back as it went.
func echoValues[T any](same func(a, b T) bool, vs ...T) valueCase {
	name := reflect.TypeFor[T]().String()
	m := uactor.Expose(ValuesKind, "echo "+name, func(_ valuesActor, _ context.Context, v T) (T, error) { return v, nil })
	return valueCase{name, func(t *testing.T, ctx context.Context, r uactor.Ref[valuesActor]) {
		for i, v := range vs {
			got, err := m.Call(ctx, r, v)
			if err != nil {
				t.Fatalf("value %d (%#v): %v", i, v, err)
			}
			if !same(v, got) {
				t.Errorf("value %d: sent %#v, got %#v", i, v, got)
			}
		}
	}}
}

// identical is ==, except that floats compare by their bits, so that a NaN
// must come back as the same NaN and −0 as −0.
func identical[T comparable](a, b T) bool {
	switch x := any(a).(type) {
	case float32:
		return math.Float32bits(x) == math.Float32bits(any(b).(float32))
	case float64:
		return math.Float64bits(x) == math.Float64bits(any(b).(float64))
	case complex64:
		y := any(b).(complex64)
		return identical(real(x), real(y)) && identical(imag(x), imag(y))
	case complex128:
		y := any(b).(complex128)
		return identical(real(x), real(y)) && identical(imag(x), imag(y))
	}
	return a == b
}

// sameTime is the same instant in the same zone offset.
func sameTime(a, b time.Time) bool {
	_, ao := a.Zone()
	_, bo := b.Zone()
	return a.Equal(b) && ao == bo && a.IsZero() == b.IsZero()
}

func deepEqual[T any](a, b T) bool { return reflect.DeepEqual(a, b) }

// floats64 are the float64s whose bits a codec could lose.
var floats64 = []float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(0x7ff0_0000_0000_0001),
	math.Float64frombits(0xfff8_dead_beef_0001), math.Inf(1), math.Inf(-1), math.MaxFloat64,
	-math.MaxFloat64, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64}

var floats32 = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), math.Float32frombits(0x7f80_0001),
	math.Float32frombits(0xffc0_beef), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32,
	-math.MaxFloat32, math.SmallestNonzeroFloat32}

// strs hold invalid UTF-8, NULs and a long one.
var strs = []string{"", "\x00", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "ü→\U0010ffff", string(bytes.Repeat([]byte{0x80}, 70_000))}

var valueCases = []valueCase{
	echoValues(identical[bool], false, true),
	echoValues(identical[int], 0, -1, 1, math.MinInt, math.MaxInt),
	echoValues(identical[int8], 0, -1, math.MinInt8, math.MaxInt8),
	echoValues(identical[int16], 0, -1, math.MinInt16, math.MaxInt16),
	echoValues(identical[int32], 0, -1, math.MinInt32, math.MaxInt32),
	echoValues(identical[int64], 0, -1, math.MinInt64, math.MaxInt64),
	echoValues(identical[uint], 0, 1, math.MaxUint),
	echoValues(identical[uint8], 0, 1, math.MaxUint8),
	echoValues(identical[uint16], 0, 1, math.MaxUint16),
	echoValues(identical[uint32], 0, 1, math.MaxUint32),
	echoValues(identical[uint64], 0, 1, math.MaxUint64),
	echoValues(identical[uintptr], 0, 1, ^uintptr(0)),
	echoValues(identical[float32], floats32...),
	echoValues(identical[float64], floats64...),
	echoValues(identical[complex64], 0, complex(floats32[1], floats32[2]), complex(floats32[3], floats32[9])),
	echoValues(identical[complex128], 0, complex(floats64[1], floats64[3]), complex(floats64[9], floats64[5])),
	echoValues(identical[string], strs...),
	echoValues(identical[time.Duration], 0, -1, math.MinInt64, math.MaxInt64),
	echoValues(identical[uactor.Empty], uactor.Empty{}),
	echoValues(sameTime, time.Time{}, time.Unix(0, 0).UTC(), time.Unix(-62135596800-1, 999_999_999).UTC(),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("E", 14*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.FixedZone("W", -12*3600-30)),
		time.Unix(math.MaxInt64/4, 0).UTC(), time.Now(), time.Now().In(time.FixedZone("S", 17762))),
	// An empty []byte arrives empty, and never as nil: a nil one, empty too.
	echoValues(func(a, b []byte) bool { return bytes.Equal(a, b) && b != nil },
		nil, []byte{}, []byte{0}, bytes.Repeat([]byte{0xff}, 300), bytes.Repeat([]byte{7}, 70_000)),
	echoValues(func(a, b uactor.Lent) bool { return bytes.Equal(a, b) }, nil, uactor.Lent{}, uactor.Lent{0, 1}),
	// Slices and maps keep their extremes; an empty slice arrives as nil,
	// a map (nil or empty) as an empty map.
	echoValues(func(a, b []float64) bool {
		return len(a) == len(b) && (len(b) > 0 || b == nil) && fmt.Sprint(bitsOf(a)) == fmt.Sprint(bitsOf(b))
	}, nil, []float64{}, floats64),
	echoValues(deepEqual[[]string], nil, strs),
	echoValues(deepEqual[[]int64], nil, []int64{math.MinInt64, math.MaxInt64, 0}),
	echoValues(deepEqual[[]uint64], []uint64{math.MaxUint64, 0}),
	echoValues(deepEqual[[][]byte], [][]byte{{}, {0}, bytes.Repeat([]byte{1}, 300)}),
	echoValues(func(a, b map[string]string) bool {
		return b != nil && len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
	},
		nil, map[string]string{}, map[string]string{"": "", "\xff": "\x00", "a": "\xc3"}),
	echoValues(deepEqual[map[int64]int8], map[int64]int8{math.MinInt64: math.MinInt8, math.MaxInt64: math.MaxInt8}),
	echoValues(deepEqual[map[uint64]time.Duration], map[uint64]time.Duration{math.MaxUint64: math.MinInt64, 0: math.MaxInt64}),
	// Types with the standard library's binary methods.
	echoValues(identical[netip.Addr], netip.Addr{}, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fe80::1%eth0"),
		netip.MustParseAddr("::ffff:1.2.3.4")),
	echoValues(identical[netip.AddrPort], netip.AddrPort{}, netip.MustParseAddrPort("[::1]:65535")),
	echoValues(identical[netip.Prefix], netip.Prefix{}, netip.MustParsePrefix("10.1.0.0/16")),
	echoValues(deepEqual[url.URL], url.URL{}, *mustURL("https://u:p@host:1/a%2Fb?q=\xff#frag")),
	echoValues(identical[uuid.UUID], uuid.UUID{}, uuid.MustParse("6ba7b810-9dad-11d1-80b4-00c04fd430c8")),
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func bitsOf(f []float64) []uint64 {
	b := make([]uint64, len(f))
	for i, x := range f {
		b[i] = math.Float64bits(x)
	}
	return b
}

// Every documented type, at its edges, to an actor process and back.
func TestValuesAcrossProcesses(t *testing.T) {
	ctx := testCtx(t, 2*time.Minute)
	r := spawn(t, ctx, ValuesKind, uactor.Empty{})
	for _, c := range valueCases {
		t.Run(c.name, func(t *testing.T) { c.run(t, ctx, r) })
	}
}
