package uactor

import (
	"encoding/binary"
	"fmt"
)

// Types with the methods that github.com/tinylib/msgp generates travel as
// their MessagePack bytes. The core module does not import msgp: the
// methods are recognised by their signatures.

type msgpMarshaler interface {
	MarshalMsg(b []byte) ([]byte, error)
}

type msgpUnmarshaler interface {
	UnmarshalMsg(b []byte) ([]byte, error)
}

// msgpCodec returns the codec of a type with MarshalMsg on T or *T and
// UnmarshalMsg on *T, or nil. Before UnmarshalMsg sees them, the bytes are
// checked to hold exactly one well-formed MessagePack value in which no
// array or map announces more elements than bytes follow: generated code
// sizes slices and maps by those counts, so a hostile count must not reach it.
func msgpCodec[T any]() *codec[T] {
	var v T
	_, mar := any(&v).(msgpMarshaler)
	_, unm := any(&v).(msgpUnmarshaler)
	if !mar || !unm {
		return nil
	}
	return &codec[T]{
		append: func(b []byte, v T) (out []byte, err error) {
			done := false
			defer recoverEncode[T]("MarshalMsg", b, &done, &out, &err)
			out, err = any(&v).(msgpMarshaler).MarshalMsg(b)
			done = true
			return out, err
		},
		decode: unmarshalMsg[T],
	}
}

func unmarshalMsg[T any](b []byte) (v T, err error) {
	if err := checkMsgpack(b); err != nil {
		return v, fmt.Errorf("%T: %w", v, err)
	}
	done := false
	defer recoverDecode(&v, "UnmarshalMsg", &done, &err)
	rest, err := any(&v).(msgpUnmarshaler).UnmarshalMsg(b)
	done = true
	if err != nil {
		return v, fmt.Errorf("%w: %T: %w", ErrDecode, v, err)
	}
	if len(rest) > 0 {
		return v, fmt.Errorf("%w: %T: %d trailing bytes", ErrDecode, v, len(rest))
	}
	return v, nil
}

// maxMsgpackDepth bounds how deeply a MessagePack value may nest arrays and
// maps. msgp's generated UnmarshalMsg recurses once per level, so a frame of
// a few megabytes could otherwise nest deeply enough to overflow the
// stack, which ends the process and cannot be recovered. The bound is
// encoding/json's.
const maxMsgpackDepth = 10_000

// checkMsgpack reports whether b is exactly one MessagePack value, with no
// value inside more than maxMsgpackDepth arrays and maps, whose arrays and
// maps announce no more elements than the bytes that follow could hold
// (every element takes at least one byte). It walks the value without
// recursion, keeping for each open array or map the count of its values
// still to come.
func checkMsgpack(b []byte) error {
	var stack [16]uint64
	left := append(stack[:0], 1) // the payload is one value
	total := uint64(1)           // the sum of left
	for len(left) > 0 {
		top := len(left) - 1
		if left[top] == 0 {
			left = left[:top]
			continue
		}
		left[top]--
		total--
		if len(b) == 0 {
			return fmt.Errorf("%w: MessagePack value truncated", ErrDecode)
		}
		c := b[0]
		b = b[1:]
		var skip, items uint64 // payload bytes to skip; nested values to come
		var err error
		switch {
		case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		case c <= 0x8f: // fixmap
			items = 2 * uint64(c&0x0f)
		case c <= 0x9f: // fixarray
			items = uint64(c & 0x0f)
		case c <= 0xbf: // fixstr
			skip = uint64(c & 0x1f)
		case c == 0xc0 || c == 0xc2 || c == 0xc3: // nil, false, true
		case c == 0xc4 || c == 0xd9: // bin 8, str 8
			skip, b, err = msgpLen(b, 1, 0)
		case c == 0xc5 || c == 0xda: // bin 16, str 16
			skip, b, err = msgpLen(b, 2, 0)
		case c == 0xc6 || c == 0xdb: // bin 32, str 32
			skip, b, err = msgpLen(b, 4, 0)
		case c >= 0xc7 && c <= 0xc9: // ext 8, 16, 32: length, then a type byte
			skip, b, err = msgpLen(b, 1<<(c-0xc7), 1)
		case c >= 0xca && c <= 0xd3: // float 32, 64; uint 8…64; int 8…64
			skip = [...]uint64{4, 8, 1, 2, 4, 8, 1, 2, 4, 8}[c-0xca]
		case c >= 0xd4 && c <= 0xd8: // fixext 1…16, after a type byte
			skip = 1 + 1<<(c-0xd4)
		case c == 0xdc || c == 0xdd: // array 16, 32
			items, b, err = msgpLen(b, 2<<(c-0xdc), 0)
		case c == 0xde || c == 0xdf: // map 16, 32
			items, b, err = msgpLen(b, 2<<(c-0xde), 0)
			items *= 2
		default: // 0xc1, never used
			return fmt.Errorf("%w: MessagePack byte 0x%02x is not a value", ErrDecode, c)
		}
		if err != nil {
			return err
		}
		if skip > uint64(len(b)) {
			return fmt.Errorf("%w: MessagePack value truncated", ErrDecode)
		}
		b = b[skip:]
		if total+items > uint64(len(b)) {
			return fmt.Errorf("%w: MessagePack announces %d values in %d bytes", ErrDecode, total+items, len(b))
		}
		if items > 0 {
			if len(left) > maxMsgpackDepth {
				return fmt.Errorf("%w: MessagePack nested more than %d deep", ErrDecode, maxMsgpackDepth)
			}
			left = append(left, items)
			total += items
		}
	}
	if len(b) > 0 {
		return fmt.Errorf("%w: %d bytes after the MessagePack value", ErrDecode, len(b))
	}
	return nil
}

// msgpLen reads a big-endian length of size bytes, and returns it plus extra.
func msgpLen(b []byte, size int, extra uint64) (uint64, []byte, error) {
	if len(b) < size {
		return 0, nil, fmt.Errorf("%w: MessagePack value truncated", ErrDecode)
	}
	var n uint64
	switch size {
	case 1:
		n = uint64(b[0])
	case 2:
		n = uint64(binary.BigEndian.Uint16(b))
	default:
		n = uint64(binary.BigEndian.Uint32(b))
	}
	return n + extra, b[size:], nil
}
