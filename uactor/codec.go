package uactor

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"
)

// Values travel without reflection: a type switch on the static type picks
// the codec. Built-in types are switched on directly, so encoding a []byte or
// an int boxes nothing; other types must implement encoding.BinaryAppender
// (or BinaryMarshaler), with *T implementing encoding.BinaryUnmarshaler.

// ErrDecode is wrapped by errors that come from bytes that do not decode into
// the expected type.
var ErrDecode = errors.New("uactor: cannot decode value")

// checkCodec reports whether values of T can travel, and if not what to implement.
func checkCodec[T any](role string) error {
	var v T
	switch any(v).(type) {
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr,
		float32, float64, string, []byte, Empty, time.Duration, time.Time:
		return nil
	}
	_, app := any(v).(encoding.BinaryAppender)
	_, mar := any(v).(encoding.BinaryMarshaler)
	_, papp := any(&v).(encoding.BinaryAppender)
	_, pmar := any(&v).(encoding.BinaryMarshaler)
	_, unm := any(&v).(encoding.BinaryUnmarshaler)
	if (app || mar || papp || pmar) && unm {
		return nil
	}
	return fmt.Errorf("%s type %T cannot travel between processes: "+
		"implement AppendBinary(b []byte) ([]byte, error) (encoding.BinaryAppender) or MarshalBinary on %T, "+
		"and UnmarshalBinary([]byte) error (encoding.BinaryUnmarshaler) on *%T "+
		"(the uactor/wire package helps), or use a built-in scalar, string, []byte, Empty, time.Duration, time.Time or a Ref",
		role, v, v, v)
}

// rawBytes returns v's encoding without copying, for the types whose
// encoding is their own bytes ([]byte and string), so that large payloads go
// to the frame writer as they are. The result must only be read, and not
// kept past the write.
func rawBytes[T any](v T) ([]byte, bool) {
	switch x := any(v).(type) {
	case []byte:
		return x, true
	case string:
		return unsafe.Slice(unsafe.StringData(x), len(x)), true
	}
	return nil, false
}

// appendValue appends v's encoding to b.
func appendValue[T any](b []byte, v T) ([]byte, error) {
	switch x := any(v).(type) {
	case []byte:
		return append(b, x...), nil
	case string:
		return append(b, x...), nil
	case Empty:
		return b, nil
	case bool:
		if x {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case int:
		return binary.AppendVarint(b, int64(x)), nil
	case int8:
		return binary.AppendVarint(b, int64(x)), nil
	case int16:
		return binary.AppendVarint(b, int64(x)), nil
	case int32:
		return binary.AppendVarint(b, int64(x)), nil
	case int64:
		return binary.AppendVarint(b, x), nil
	case time.Duration:
		return binary.AppendVarint(b, int64(x)), nil
	case uint:
		return binary.AppendUvarint(b, uint64(x)), nil
	case uint8:
		return append(b, x), nil
	case uint16:
		return binary.AppendUvarint(b, uint64(x)), nil
	case uint32:
		return binary.AppendUvarint(b, uint64(x)), nil
	case uint64:
		return binary.AppendUvarint(b, x), nil
	case uintptr:
		return binary.AppendUvarint(b, uint64(x)), nil
	case float32:
		return binary.BigEndian.AppendUint32(b, math.Float32bits(x)), nil
	case float64:
		return binary.BigEndian.AppendUint64(b, math.Float64bits(x)), nil
	case time.Time:
		return x.AppendBinary(b)
	}
	return appendMethod(b, v)
}

// appendMethod encodes through the type's own methods. It is apart from
// appendValue because calling a method through an interface makes the value
// escape: here only the copy does, so built-in types never allocate.
//
//go:noinline
func appendMethod[T any](b []byte, v T) ([]byte, error) {
	switch x := any(v).(type) {
	case encoding.BinaryAppender:
		return x.AppendBinary(b)
	case encoding.BinaryMarshaler:
		p, err := x.MarshalBinary()
		return append(b, p...), err
	}
	switch x := any(&v).(type) {
	case encoding.BinaryAppender:
		return x.AppendBinary(b)
	case encoding.BinaryMarshaler:
		p, err := x.MarshalBinary()
		return append(b, p...), err
	}
	return b, fmt.Errorf("uactor: %T cannot travel between processes", v)
}

// decodeValue decodes b, which must be exactly one encoded value, into *v.
// It never panics on bad input: a user UnmarshalBinary that panics is
// reported as an error.
func decodeValue[T any](b []byte, v *T) error {
	switch p := any(v).(type) {
	case *[]byte:
		*p = append([]byte{}, b...)
		return nil
	case *string:
		*p = string(b)
		return nil
	case *Empty:
		return wantLen(b, 0, "Empty")
	case *bool:
		if err := wantLen(b, 1, "bool"); err != nil {
			return err
		}
		if b[0] > 1 {
			return fmt.Errorf("%w: bool byte %d", ErrDecode, b[0])
		}
		*p = b[0] == 1
		return nil
	case *int:
		x, err := varint(b, 64)
		*p = int(x)
		return err
	case *int8:
		x, err := varint(b, 8)
		*p = int8(x)
		return err
	case *int16:
		x, err := varint(b, 16)
		*p = int16(x)
		return err
	case *int32:
		x, err := varint(b, 32)
		*p = int32(x)
		return err
	case *int64:
		x, err := varint(b, 64)
		*p = x
		return err
	case *time.Duration:
		x, err := varint(b, 64)
		*p = time.Duration(x)
		return err
	case *uint:
		x, err := uvarint(b, 64)
		*p = uint(x)
		return err
	case *uint8:
		if err := wantLen(b, 1, "uint8"); err != nil {
			return err
		}
		*p = b[0]
		return nil
	case *uint16:
		x, err := uvarint(b, 16)
		*p = uint16(x)
		return err
	case *uint32:
		x, err := uvarint(b, 32)
		*p = uint32(x)
		return err
	case *uint64:
		x, err := uvarint(b, 64)
		*p = x
		return err
	case *uintptr:
		x, err := uvarint(b, 64)
		*p = uintptr(x)
		return err
	case *float32:
		if err := wantLen(b, 4, "float32"); err != nil {
			return err
		}
		*p = math.Float32frombits(binary.BigEndian.Uint32(b))
		return nil
	case *float64:
		if err := wantLen(b, 8, "float64"); err != nil {
			return err
		}
		*p = math.Float64frombits(binary.BigEndian.Uint64(b))
		return nil
	}
	x, err := unmarshalMethod[T](b)
	if err == nil {
		*v = x
	}
	return err
}

// unmarshalMethod decodes through UnmarshalBinary, into a value of its own
// (which escapes) so that decodeValue's target does not have to.
//
//go:noinline
func unmarshalMethod[T any](b []byte) (v T, err error) {
	u, ok := any(&v).(encoding.BinaryUnmarshaler)
	if !ok {
		return v, fmt.Errorf("uactor: %T cannot travel between processes", v)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %T.UnmarshalBinary panicked: %v", ErrDecode, v, r)
		}
	}()
	if err := u.UnmarshalBinary(b); err != nil {
		return v, fmt.Errorf("%w: %T: %w", ErrDecode, v, err)
	}
	return v, nil
}

func wantLen(b []byte, n int, what string) error {
	if len(b) != n {
		return fmt.Errorf("%w: %s wants %d bytes, got %d", ErrDecode, what, n, len(b))
	}
	return nil
}

func varint(b []byte, bits uint) (int64, error) {
	x, n := binary.Varint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("%w: malformed varint", ErrDecode)
	}
	if bits < 64 && (x < -1<<(bits-1) || x >= 1<<(bits-1)) {
		return 0, fmt.Errorf("%w: %d overflows int%d", ErrDecode, x, bits)
	}
	return x, nil
}

func uvarint(b []byte, bits uint) (uint64, error) {
	x, n := binary.Uvarint(b)
	if n <= 0 || n != len(b) {
		return 0, fmt.Errorf("%w: malformed uvarint", ErrDecode)
	}
	if bits < 64 && x >= 1<<bits {
		return 0, fmt.Errorf("%w: %d overflows uint%d", ErrDecode, x, bits)
	}
	return x, nil
}
