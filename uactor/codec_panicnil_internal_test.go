package uactor

import (
	"errors"
	"testing"
)

// nilPanicker's methods panic with nil: under GODEBUG=panicnil=1, which
// restores recover's nil for it, such a panic is indistinguishable from a
// return by recover's result alone.
type nilPanicker struct{}

func (nilPanicker) AppendBinary([]byte) ([]byte, error) { panic(nil) }
func (*nilPanicker) UnmarshalBinary([]byte) error       { panic(nil) }

type nilMarshaler struct{}

func (*nilMarshaler) MarshalBinary() ([]byte, error) { panic(nil) }
func (*nilMarshaler) UnmarshalBinary([]byte) error   { return nil }

type nilMsgp struct{}

func (nilMsgp) MarshalMsg([]byte) ([]byte, error)    { panic(nil) }
func (*nilMsgp) UnmarshalMsg([]byte) ([]byte, error) { panic(nil) }

// A user's encoding or decoding method that panics, even with nil under
// panicnil=1, fails the value: it never passes for one that returned
// empty bytes, or a zero value, with no error.
func TestCodecNilPanicFails(t *testing.T) {
	t.Setenv("GODEBUG", "panicnil=1")
	encode := func(f func([]byte) ([]byte, error)) error {
		b := make([]byte, 0, 8)
		out, err := f(b)
		if err != nil && (len(out) != 0 || cap(out) != cap(b)) {
			t.Errorf("a failed encoding gave back %d bytes of a %d-byte array, not the buffer it was handed", len(out), cap(out))
		}
		return err
	}
	enc := func(c *codec[nilPanicker]) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return c.append(b, nilPanicker{}) }
	}
	for name, err := range map[string]error{
		"AppendBinary": encode(enc(mustCodec[nilPanicker]("test", "test"))),
		"MarshalBinary": encode(func(b []byte) ([]byte, error) {
			return mustCodec[nilMarshaler]("test", "test").append(b, nilMarshaler{})
		}),
		"MarshalMsg": encode(func(b []byte) ([]byte, error) {
			return mustCodec[nilMsgp]("test", "test").append(b, nilMsgp{})
		}),
	} {
		if err == nil {
			t.Errorf("%s panicked with nil, and the value encoded", name)
		}
	}
	for name, err := range map[string]error{
		"UnmarshalBinary": decodeValue([]byte{1}, new(nilPanicker)),
		"UnmarshalMsg":    decodeValue([]byte{0xc0}, new(nilMsgp)),
	} {
		if !errors.Is(err, ErrDecode) {
			t.Errorf("%s panicked with nil: err %v; want ErrDecode", name, err)
		}
	}
}
