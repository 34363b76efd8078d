package uactor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// probe decodes bytes as one composite type, and reports how many elements
// came out; again checks what decodes against its encoding.
type probe struct {
	name   string
	decode func(b []byte) (int, error)
	again  func(b []byte) error
}

func probeOf[T any]() probe {
	c, err := codecFor[T]("test")
	if err != nil {
		panic(err)
	}
	// length is the number of elements of a decoded slice or map.
	length := func(v T) int { return reflect.ValueOf(v).Len() }
	return probe{fmt.Sprintf("%T", *new(T)), func(b []byte) (int, error) {
		v, err := c.decode(b)
		if err != nil {
			return 0, err
		}
		return length(v), nil
	}, func(b []byte) error {
		// What decodes encodes to bytes that decode to as many elements,
		// and after that one trip, to a value that travels unchanged: the
		// first trip may only put a time in the zone it travels in.
		v, err := c.decode(b)
		if err != nil {
			return nil
		}
		trip := func(v T) (T, error) {
			enc, err := c.append(nil, v)
			if err != nil {
				return v, fmt.Errorf("%v does not encode: %w", v, err)
			}
			w, err := c.decode(enc)
			if err != nil {
				return v, fmt.Errorf("%v encodes to % x, which does not decode: %w", v, enc, err)
			}
			return w, nil
		}
		v2, err := trip(v)
		if err != nil {
			return err
		}
		v3, err := trip(v2)
		if err != nil {
			return err
		}
		if length(v2) != length(v) || fmt.Sprint(v3) != fmt.Sprint(v2) {
			return fmt.Errorf("%v travels as %v, then as %v", v, v2, v3)
		}
		return nil
	}}
}

// compositeProbes covers every built-in slice and map.
func compositeProbes() []probe {
	p := []probe{
		probeOf[[]bool](), probeOf[[]int](), probeOf[[]int8](), probeOf[[]int16](), probeOf[[]int32](),
		probeOf[[]int64](), probeOf[[]uint](), probeOf[[]uint16](), probeOf[[]uint32](), probeOf[[]uint64](),
		probeOf[[]float32](), probeOf[[]float64](), probeOf[[]complex64](), probeOf[[]complex128](),
		probeOf[[]string](), probeOf[[][]byte](),
		probeOf[[]time.Time](), probeOf[[]time.Duration](),
	}
	p = append(p, mapProbes[string]()...)
	p = append(p, mapProbes[int]()...)
	p = append(p, mapProbes[int64]()...)
	return append(p, mapProbes[uint64]()...)
}

func mapProbes[K comparable]() []probe {
	return []probe{
		probeOf[map[K]bool](), probeOf[map[K]int](), probeOf[map[K]int8](), probeOf[map[K]int16](),
		probeOf[map[K]int32](), probeOf[map[K]int64](), probeOf[map[K]uint](), probeOf[map[K]uint16](),
		probeOf[map[K]uint32](), probeOf[map[K]uint64](), probeOf[map[K]float32](), probeOf[map[K]float64](),
		probeOf[map[K]complex64](), probeOf[map[K]complex128](),
		probeOf[map[K]string](), probeOf[map[K][]byte](), probeOf[map[K]time.Time](), probeOf[map[K]time.Duration](),
	}
}

func TestCompositeRoundTrips(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 4, 5, 6, time.UTC)
	roundTrip(t, []string{"a", "", "ü"}, func(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) && len(b) == 3 })
	roundTrip(t, []int8{-128, 0, 127}, func(a, b []int8) bool { return fmt.Sprint(a) == fmt.Sprint(b) })
	roundTrip(t, []float32{-1.5, 3}, func(a, b []float32) bool { return fmt.Sprint(a) == fmt.Sprint(b) })
	roundTrip(t, []time.Time{now, {}}, func(a, b []time.Time) bool { return a[0].Equal(b[0]) && b[1].IsZero() })
	roundTrip(t, [][]byte{{}, {0, 255}}, func(a, b [][]byte) bool { return fmt.Sprint(a) == fmt.Sprint(b) })
	roundTrip(t, map[uint64]time.Duration{1 << 63: -time.Hour}, func(a, b map[uint64]time.Duration) bool { return fmt.Sprint(a) == fmt.Sprint(b) })
	roundTrip(t, []string(nil), func(a, b []string) bool { return b == nil })
	roundTrip(t, map[string]int{}, func(a, b map[string]int) bool { return b != nil && len(b) == 0 })
}

func TestCompositeRejectsBadInput(t *testing.T) {
	count := func(n uint64, rest ...byte) []byte { return append(binary.AppendUvarint(nil, n), rest...) }
	strs, _ := sliceOf(stringElem()).append(nil, []string{"ab", "c"})
	m, _ := mapOf(stringElem(), signedElem[int](64)).append(nil, map[string]int{"k": 1})
	cases := map[string]error{
		"count beyond the bytes":   decodeValue(count(1<<62, 1, 2, 3), new([]int)),
		"floats beyond the bytes":  decodeValue(count(2, make([]byte, 15)...), new([]float64)),
		"complex beyond the bytes": decodeValue(count(2, make([]byte, 31)...), new([]complex128)),
		"times beyond the bytes":   decodeValue(count(2, make([]byte, 31)...), new([]time.Time)),
		"pairs beyond the bytes":   decodeValue(count(2, 1, 2, 3), new(map[int]int)),
		"malformed count":          decodeValue([]byte{0x80}, new([]int)),
		"no count":                 decodeValue(nil, new(map[string]int)),
		"truncated string":         decodeValue(strs[:len(strs)-1], new([]string)),
		"trailing bytes":           decodeValue(append(strs, 0), new([]string)),
		"trailing after empty":     decodeValue(count(0, 0), new([]string)),
		"bool 2":                   decodeValue(count(1, 2), new([]bool)),
		"int8 overflow":            decodeValue(count(1, appendVar(200)...), new([]int8)),
		"uint16 overflow":          decodeValue(count(1, appendUvar(1<<16)...), new([]uint16)),
		"repeated key":             decodeValue(count(2, append(m[1:], m[1:]...)...), new(map[string]int)),
		"truncated value":          decodeValue(m[:len(m)-1], new(map[string]int)),
		"time with a bad length":   decodeValue(count(1, append([]byte{15}, make([]byte, 15)...)...), new([]time.Time)),
		"time length beyond input": decodeValue(count(1, append([]byte{100}, make([]byte, 15)...)...), new([]time.Time)),
	}
	for name, err := range cases {
		if !errors.Is(err, ErrDecode) {
			t.Errorf("%s: err = %v; want ErrDecode", name, err)
		}
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// leastAllocated is allocated's least of a few runs of f. The counter is
// process-wide, so goroutines left running by other tests can add to one
// measurement; a decoder that sizes by a hostile count allocates that much
// every time.
func leastAllocated(f func()) uint64 {
	least := uint64(math.MaxUint64)
	for range 5 {
		least = min(least, allocated(f))
	}
	return least
}

// A count that the bytes cannot hold fails before anything is sized by it.
func TestCompositeHostileCountAllocatesLittle(t *testing.T) {
	for _, n := range []uint64{1 << 62, 1 << 31, 1000} {
		b := append(binary.AppendUvarint(nil, n), make([]byte, 100)...)
		for _, p := range compositeProbes() {
			var err error
			if got := leastAllocated(func() { _, err = p.decode(b) }); got > 4<<10 || !errors.Is(err, ErrDecode) {
				t.Errorf("%s claiming %d elements in %d bytes: allocated %d bytes, err %v", p.name, n, len(b), got, err)
			}
		}
	}
}

// A map whose count the bytes could hold, but whose entries repeat or
// break at once, fails having allocated a small multiple of its frame: the
// count says only how many entries the bytes could hold, at the fewest
// bytes each, while an entry takes its key's and value's full size in the
// map (40 bytes and more for map[string][]byte, against 2 on the wire).
func TestCompositeLyingMapAllocatesInProportion(t *testing.T) {
	const frame = 256 << 10
	const perByte = 8 // a small multiple of the frame
	for _, p := range compositeProbes() {
		if !strings.HasPrefix(p.name, "map[") {
			continue
		}
		// All zeros after the count: the zero key twice, or an entry that
		// does not decode; as many entries as the bytes could hold.
		for _, n := range []uint64{frame / 2, frame / 9, frame / 17} {
			b := append(binary.AppendUvarint(nil, n), make([]byte, frame)...)
			var err error
			got := leastAllocated(func() { _, err = p.decode(b) })
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("%s claiming %d entries: err %v; want ErrDecode", p.name, n, err)
			}
			if got > perByte*frame {
				t.Errorf("%s claiming %d entries in %d bytes: allocated %d bytes (%.1f a byte), then failed: %v",
					p.name, n, len(b), got, float64(got)/float64(len(b)), err)
			}
		}
	}
}

// FuzzComposites decodes arbitrary bytes as every built-in slice and map, as
// MessagePack for a msgp type, and as a Ref's MessagePack form: each decodes
// or fails with ErrDecode, never panics, and allocates in proportion to the
// input, never to the counts it claims; and a slice or map that decodes
// travels again with as many elements, unchanged after its first trip.
func FuzzComposites(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{3, 1, 'a', 0, 2, 'b', 'c'})
	f.Add(binary.AppendUvarint(nil, 1<<40))
	f.Add([]byte{2, 0x80, 0, 0, 0, 0x7f, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}) // two complex64s; too short for two complex128s
	f.Add([]byte{0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0})                         // MessagePack array 32 claiming 2^32-1 nils
	f.Add([]byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x91, 0xc3})               // {"a": 1, "b": [true]}
	f.Add([]byte{msgpBin8, 3, refVersion, 1, 'k'})                            // a truncated ref
	probes := compositeProbes()
	f.Fuzz(func(t *testing.T, b []byte) {
		got := allocated(func() {
			for _, p := range probes {
				n, err := p.decode(b)
				if err != nil && !errors.Is(err, ErrDecode) {
					t.Errorf("%s: %v does not wrap ErrDecode", p.name, err)
				}
				if n > len(b) {
					t.Errorf("%s: %d elements from %d bytes", p.name, n, len(b))
				}
			}
			if err := checkMsgpack(b); err != nil && !errors.Is(err, ErrDecode) {
				t.Errorf("checkMsgpack: %v does not wrap ErrDecode", err)
			}
			var r Ref[*int]
			if _, err := r.UnmarshalMsg(b); err == nil {
				r.Close()
			}
		})
		// 90 decoders, none of which may hold more than a few tens of
		// bytes per input byte (a map entry, a string header).
		if limit := uint64(90 * (64*len(b) + 4<<10)); got > limit {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(b), got)
		}
		for _, p := range probes {
			if err := p.again(b); err != nil {
				t.Errorf("%s from % x: %v", p.name, b, err)
			}
		}
	})
}
