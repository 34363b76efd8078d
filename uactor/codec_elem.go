package uactor

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
	"unsafe"
)

// elem is how a value is encoded where other values may follow it: as an
// element of a slice or map, or, for the numbers and bool, as a whole payload.
type elem[E any] struct {
	min int                                    // the fewest bytes an encoded E takes
	put func(b []byte, v E) []byte             // appends v's encoding to b
	get func(b []byte) (v E, n int, err error) // decodes v from the start of b, which it took n bytes of
}

func signedElem[E ~int | ~int8 | ~int16 | ~int32 | ~int64](bits uint) elem[E] {
	return elem[E]{1,
		func(b []byte, v E) []byte { return binary.AppendVarint(b, int64(v)) },
		func(b []byte) (E, int, error) {
			x, n := binary.Varint(b)
			if n <= 0 {
				return 0, 0, fmt.Errorf("%w: malformed varint", ErrDecode)
			}
			if bits < 64 && (x < -1<<(bits-1) || x >= 1<<(bits-1)) {
				return 0, 0, fmt.Errorf("%w: %d overflows int%d", ErrDecode, x, bits)
			}
			return E(x), n, nil
		}}
}

func unsignedElem[E ~uint | ~uint16 | ~uint32 | ~uint64 | ~uintptr](bits uint) elem[E] {
	return elem[E]{1,
		func(b []byte, v E) []byte { return binary.AppendUvarint(b, uint64(v)) },
		func(b []byte) (E, int, error) {
			x, n := binary.Uvarint(b)
			if n <= 0 {
				return 0, 0, fmt.Errorf("%w: malformed uvarint", ErrDecode)
			}
			if bits < 64 && x >= 1<<bits {
				return 0, 0, fmt.Errorf("%w: %d overflows uint%d", ErrDecode, x, bits)
			}
			return E(x), n, nil
		}}
}

func boolElem() elem[bool] {
	return elem[bool]{1,
		func(b []byte, v bool) []byte {
			if v {
				return append(b, 1)
			}
			return append(b, 0)
		},
		func(b []byte) (bool, int, error) {
			if len(b) == 0 || b[0] > 1 {
				return false, 0, fmt.Errorf("%w: bool wants one byte, 0 or 1", ErrDecode)
			}
			return b[0] == 1, 1, nil
		}}
}

// floatElem is F's IEEE 754 bits, big-endian: 4 bytes for a float32, 8
// for a float64.
func floatElem[F float32 | float64]() elem[F] {
	size := int(unsafe.Sizeof(F(0)))
	return elem[F]{size,
		func(b []byte, v F) []byte {
			if size == 4 {
				return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v)))
			}
			return binary.BigEndian.AppendUint64(b, math.Float64bits(float64(v)))
		},
		func(b []byte) (F, int, error) {
			switch {
			case len(b) < size:
				return 0, 0, fmt.Errorf("%w: float%d wants %d bytes, got %d", ErrDecode, 8*size, size, len(b))
			case size == 4:
				return F(math.Float32frombits(binary.BigEndian.Uint32(b))), 4, nil
			}
			return F(math.Float64frombits(binary.BigEndian.Uint64(b))), 8, nil
		}}
}

// complexElem is C's real part, then its imaginary part, each as floatElem
// encodes it: 8 bytes for a complex64, 16 for a complex128.
func complexElem[C complex64 | complex128]() elem[C] {
	size := int(unsafe.Sizeof(C(0)))
	return elem[C]{size,
		func(b []byte, v C) []byte {
			if size == 8 {
				c := complex64(v)
				b = binary.BigEndian.AppendUint32(b, math.Float32bits(real(c)))
				return binary.BigEndian.AppendUint32(b, math.Float32bits(imag(c)))
			}
			c := complex128(v)
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(real(c)))
			return binary.BigEndian.AppendUint64(b, math.Float64bits(imag(c)))
		},
		func(b []byte) (C, int, error) {
			switch {
			case len(b) < size:
				return 0, 0, fmt.Errorf("%w: complex%d wants %d bytes, got %d", ErrDecode, 8*size, size, len(b))
			case size == 8:
				re, im := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
				return C(complex(math.Float32frombits(re), math.Float32frombits(im))), 8, nil
			}
			re, im := binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
			return C(complex(math.Float64frombits(re), math.Float64frombits(im))), 16, nil
		}}
}

// lengthPrefixed reads a uvarint length and that many bytes after it,
// without copying them.
func lengthPrefixed(b []byte, what string) ([]byte, int, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || l > uint64(len(b)-n) {
		return nil, 0, fmt.Errorf("%w: %s: malformed or overlong length", ErrDecode, what)
	}
	end := n + int(l)
	return b[n:end:end], end, nil
}

func stringElem() elem[string] {
	return elem[string]{1,
		func(b []byte, v string) []byte { return append(binary.AppendUvarint(b, uint64(len(v))), v...) },
		func(b []byte) (string, int, error) {
			p, n, err := lengthPrefixed(b, "string")
			return string(p), n, err
		}}
}

func bytesElem() elem[[]byte] {
	return elem[[]byte]{1,
		func(b []byte, v []byte) []byte { return append(binary.AppendUvarint(b, uint64(len(v))), v...) },
		func(b []byte) ([]byte, int, error) {
			p, n, err := lengthPrefixed(b, "[]byte")
			if err != nil {
				return nil, 0, err
			}
			return ownCopy(p), n, nil // carved when small, as a []byte alone is
		}}
}

// minTimeBinary is the length of time.Time's shortest binary form.
const minTimeBinary = 15

// appendTime appends v's binary form. The time package refuses zone offsets
// it cannot write (from −119 to −60 seconds, where its minutes would read as
// its mark for UTC, and beyond ±546 hours): those times travel as UTC, the
// instant kept.
func appendTime(b []byte, v time.Time) []byte {
	if t, err := v.AppendBinary(b); err == nil {
		return t
	}
	t, _ := v.UTC().AppendBinary(b)
	return t
}

// timeElem is time.Time's binary form with its length first.
func timeElem() elem[time.Time] {
	return elem[time.Time]{1 + minTimeBinary,
		func(b []byte, v time.Time) []byte {
			var room [minTimeBinary + 1]byte
			t := appendTime(room[:0], v)
			return append(binary.AppendUvarint(b, uint64(len(t))), t...)
		},
		func(b []byte) (time.Time, int, error) {
			p, n, err := lengthPrefixed(b, "time.Time")
			if err != nil {
				return time.Time{}, 0, err
			}
			t, err := decodeTime(p)
			return t, n, err
		}}
}

// decodeTime reads time.Time's binary form. Where the time package writes
// an offset's seconds (its version 2) it writes them signed but reads them
// back unsigned, so a negative offset with seconds, such as a local mean
// time west of Greenwich, would come back 256 s off: the offset is read
// again here as it was written, and the time put in that zone. The time
// package takes any 32 bits for the nanoseconds, too, and makes of those
// past 999999999, which no time writes, a time whose Nanosecond is out of
// its range or whose instant moved: they are refused here.
func decodeTime(p []byte) (time.Time, error) {
	var t time.Time
	if len(p) >= minTimeBinary {
		if ns := binary.BigEndian.Uint32(p[9:13]); ns >= 1e9 {
			return t, fmt.Errorf("%w: time.Time: %d nanoseconds", ErrDecode, ns)
		}
	}
	if err := t.UnmarshalBinary(p); err != nil {
		return t, fmt.Errorf("%w: time.Time: %w", ErrDecode, err)
	}
	if len(p) != minTimeBinary+1 || p[0] != 2 {
		return t, nil
	}
	minutes := int16(binary.BigEndian.Uint16(p[13:15])) // −1 is UTC, never version 2
	want := int(minutes)*60 + int(int8(p[15]))
	if _, got := t.Zone(); got == want {
		return t, nil
	}
	if _, local := t.In(time.Local).Zone(); local == want {
		return t.In(time.Local), nil // as the time package does for the local offset
	}
	return t.In(time.FixedZone("", want)), nil
}

// stringBytes returns s's bytes without copying; they must only be read.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
