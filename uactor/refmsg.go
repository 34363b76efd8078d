package uactor

import (
	"encoding/binary"
	"fmt"
)

// A Ref inside a struct whose codec msgp generated: msgp calls these
// methods for a field of a type it does not know. The ref travels as a
// MessagePack bin value around its binary form (AppendBinary), or as nil
// for the zero Ref, so any MessagePack reader can skip it, and decoding it
// keeps every promise of UnmarshalBinary: the keyring, Capture, and
// *AuthKeyError for a key this process lacks.

// MessagePack type bytes of the values a ref's form uses.
const (
	msgpNil   = 0xc0
	msgpBin8  = 0xc4
	msgpBin16 = 0xc5
	msgpBin32 = 0xc6
)

// MarshalMsg appends the ref's MessagePack form to b: a bin value holding
// its binary form, or nil for the zero Ref. With UnmarshalMsg and Msgsize,
// it lets a Ref be a field of a struct whose codec msgp generated.
func (r Ref[A]) MarshalMsg(b []byte) ([]byte, error) {
	if r.h == nil {
		return append(b, msgpNil), nil
	}
	// Leave room for the longest header, then close the gap once the
	// length is known: the binary form is written once, in place.
	start := len(b)
	b = append(b, msgpBin32, 0, 0, 0, 0)
	b, err := r.AppendBinary(b)
	if err != nil {
		return b[:start], err
	}
	n := len(b) - start - 5
	var hdr []byte
	switch {
	case n <= 0xff:
		hdr = []byte{msgpBin8, byte(n)}
	case n <= 0xffff:
		hdr = binary.BigEndian.AppendUint16([]byte{msgpBin16}, uint16(n))
	default: // the bin 32 header is in place: only its length is missing
		binary.BigEndian.PutUint32(b[start+1:], uint32(n))
		return b, nil
	}
	copy(b[start:], hdr)
	copy(b[start+len(hdr):], b[start+5:])
	return b[:start+len(hdr)+n], nil
}

// UnmarshalMsg decodes a ref from the MessagePack value at the start of b
// and returns the bytes after it. Like UnmarshalBinary, it fails with
// *AuthKeyError for a ref to an actor whose key this process does not hold.
func (r *Ref[A]) UnmarshalMsg(b []byte) ([]byte, error) {
	if len(b) > 0 && b[0] == msgpNil {
		*r = Ref[A]{}
		return b[1:], nil
	}
	if len(b) == 0 || b[0] < msgpBin8 || b[0] > msgpBin32 {
		return b, fmt.Errorf("%w: ref: want a MessagePack bin or nil", ErrDecode)
	}
	n, rest, err := msgpLen(b[1:], 1<<(b[0]-msgpBin8), 0)
	if err != nil {
		return b, fmt.Errorf("%w: ref: MessagePack bin length truncated", ErrDecode)
	}
	if n > uint64(len(rest)) {
		return b, fmt.Errorf("%w: ref: MessagePack bin truncated", ErrDecode)
	}
	if err := r.UnmarshalBinary(rest[:n]); err != nil {
		return b, err
	}
	return rest[n:], nil
}

// Msgsize returns an upper bound on the length of the ref's MessagePack form.
func (r Ref[A]) Msgsize() int {
	if r.h == nil {
		return 1
	}
	return 5 + refBinaryMax(r.h)
}
