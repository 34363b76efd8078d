// Package wire helps user types travel between actors: a few appenders and a
// Reader for the binary layouts that AppendBinary and UnmarshalBinary methods
// need, so that such a method is a few lines.
//
//	func (p Point) AppendBinary(b []byte) ([]byte, error) {
//		b = wire.AppendVarint(b, p.X)
//		return wire.AppendVarint(b, p.Y), nil
//	}
//
//	func (p *Point) UnmarshalBinary(b []byte) error {
//		r := wire.NewReader(b)
//		p.X, p.Y = r.Varint(), r.Varint()
//		return r.Close()
//	}
//
// Every value is self-delimiting: unsigned integers as uvarints, signed ones
// zig-zag encoded, strings and byte slices with a uvarint length first, and
// nested values (anything with AppendBinary, a uactor.Ref among them) with a
// uvarint length first too.
//
// A count read with Uvarint comes from the sender: before it sizes a make,
// check it against what is left, as each element takes a byte at least,
// so that a hostile count fails the decode instead of allocating
// gigabytes:
//
//	n := r.Uvarint()
//	if n > uint64(r.Len()) {
//		return fmt.Errorf("%d tags: %w", n, wire.ErrShort)
//	}
//	p.Tags = make([]string, n)
//
// A type that holds values of its own type (a tree) decodes each level by
// calling itself through Value, and a value nested in a byte or two a level
// lets a frame nest millions deep: bound the depth as it decodes (carry it
// in an unexported field of the value being decoded, or in a decoding
// function of its own), since a goroutine's stack that overflows ends the
// process where a decode error would fail one call.
package wire

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrShort is reported by a Reader that ran out of input.
var ErrShort = errors.New("wire: input too short")

// ErrTrailing is reported by Close when input remains after the last read.
var ErrTrailing = errors.New("wire: unexpected trailing bytes")

// ErrInvalid is reported by a Reader that met bytes no writer here makes: a
// bool other than 0 or 1, or a varint past 64 bits.
var ErrInvalid = errors.New("wire: invalid value")

// AppendUvarint appends v as a uvarint.
func AppendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// AppendVarint appends v zig-zag encoded as a varint.
func AppendVarint(b []byte, v int64) []byte { return binary.AppendVarint(b, v) }

// AppendBool appends v as one byte, 0 or 1.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendFloat64 appends v as its 8 IEEE-754 bytes, big-endian.
func AppendFloat64(b []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

// AppendString appends s with its length first.
func AppendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// AppendBytes appends p with its length first.
func AppendBytes(b []byte, p []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(p))), p...)
}

// AppendValue appends v's binary form with its length first; a Reader takes
// it back with Value. If v fails, or gives back fewer bytes than it was
// handed, or memory of its own rather than what it was handed grown, b
// comes back as it was, with the error.
func AppendValue(b []byte, v encoding.BinaryAppender) ([]byte, error) {
	start := len(b)
	grown := append(b, make([]byte, binary.MaxVarintLen64)...) // room for the length
	body := len(grown)
	out, err := v.AppendBinary(grown)
	switch {
	case err != nil:
		return b, err
	case len(out) < body:
		return b, fmt.Errorf("wire: %T's AppendBinary dropped bytes it was given", v)
	case &out[0] != &grown[0] && !bytes.Equal(out[:body], grown):
		// Not b's bytes moved to a larger array: the value's own memory,
		// which the length below would be written into.
		return b, fmt.Errorf("wire: %T's AppendBinary returned memory it was not given", v)
	}
	n := len(out) - body
	var room [binary.MaxVarintLen64]byte
	lenBytes := binary.AppendUvarint(room[:0], uint64(n))
	// Close the gap between the reserved room and what the length needs.
	copy(out[start:], lenBytes)
	copy(out[start+len(lenBytes):], out[body:])
	return out[:start+len(lenBytes)+n], nil
}

// Reader takes values off a byte slice in order. The first failure sticks:
// later reads return zero values and Err (and Close) report it, so a decoder
// can read every field and check once at the end.
//
// A *Reader is a fmt.Stringer, through its String method: printing one
// reads from it (see String).
type Reader struct {
	b   []byte
	err error
}

// NewReader returns a Reader over b. It does not copy b; Bytes and String copy.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first error met, if any.
func (r *Reader) Err() error { return r.err }

// Len returns the number of bytes not yet read.
func (r *Reader) Len() int { return len(r.b) }

// Close returns the first error met, or ErrTrailing if input remains.
func (r *Reader) Close() error {
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%w: %d bytes", ErrTrailing, len(r.b))
		r.b = nil // failed: later reads return zero values
	}
	return r.err
}

// fail records that the input ended before what could be read.
func (r *Reader) fail(what string) { r.failWith(ErrShort, what) }

// failWith records err, met reading what, unless an error came first.
func (r *Reader) failWith(err error, what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: reading %s", err, what)
	}
	r.b = nil
}

// Uvarint reads a uvarint.
func (r *Reader) Uvarint() uint64 { return readVarint(r, "uvarint", binary.Uvarint) }

// Varint reads a zig-zag varint.
func (r *Reader) Varint() int64 { return readVarint(r, "varint", binary.Varint) }

// readVarint reads one varint with decode, binary.Uvarint or binary.Varint,
// which have the same contract.
func readVarint[T uint64 | int64](r *Reader, what string, decode func([]byte) (T, int)) T {
	v, n := decode(r.b)
	switch {
	case n < 0, n == 0 && len(r.b) >= binary.MaxVarintLen64:
		// decode stops at the end of the input, and so calls a tenth
		// byte that says more follow short, not past 64 bits as it is.
		r.failWith(ErrInvalid, what+" past 64 bits")
		return 0
	case n == 0:
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Bool reads one byte that must be 0 or 1.
func (r *Reader) Bool() bool {
	if len(r.b) > 0 && r.b[0] > 1 {
		r.failWith(ErrInvalid, "bool")
		return false
	}
	b := r.take(1, "bool")
	return b != nil && b[0] == 1
}

// Float64 reads 8 IEEE-754 bytes, big-endian.
func (r *Reader) Float64() float64 {
	b := r.take(8, "float64")
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}

// Raw reads exactly n bytes, with no length before them, without copying.
// A negative n fails the Reader, with ErrShort, as too few bytes do.
func (r *Reader) Raw(n int) []byte { return r.take(n, "raw bytes") }

// take consumes the next n bytes without copying, or fails reading what if
// fewer remain. Every fixed-size and length-prefixed read ends here, so the
// bounds check is written once.
func (r *Reader) take(n int, what string) []byte {
	if n < 0 || n > len(r.b) {
		r.fail(what)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// BytesView reads a length-prefixed byte slice without copying: the result
// aliases the input.
func (r *Reader) BytesView() []byte {
	n := r.Uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) { // before int(n), which could wrap
		r.fail("bytes")
		return nil
	}
	return r.take(int(n), "bytes")
}

// Bytes reads a length-prefixed byte slice into a copy of its own.
func (r *Reader) Bytes() []byte {
	v := r.BytesView()
	if v == nil {
		return nil
	}
	return append([]byte{}, v...)
}

// String reads a length-prefixed string. Its name makes *Reader a
// fmt.Stringer: formatting a Reader (fmt's %v and %s, t.Logf, a log
// attribute) calls String, which reads a value off it, or fails it (with
// ErrShort, or ErrInvalid). To show a Reader, format r.Len() and r.Err()
// instead.
func (r *Reader) String() string { return string(r.BytesView()) }

// Value reads a length-prefixed value written by AppendValue into v.
func (r *Reader) Value(v encoding.BinaryUnmarshaler) {
	b := r.BytesView()
	if r.err != nil {
		return
	}
	if err := v.UnmarshalBinary(b); err != nil {
		r.err = err
		r.b = nil
	}
}
