package uactor

import (
	"strings"
	"testing"
)

// A type with half of a codec (an encoder without its decoder, or the
// reverse, or one of them with another signature) cannot travel; Expose's
// panic names the half it has and the method it lacks, with its
// signature, rather than listing every codec.

type halfAppender struct{ N int }

func (v halfAppender) AppendBinary(b []byte) ([]byte, error) { return append(b, byte(v.N)), nil }

type halfMarshaler struct{ N int }

func (v halfMarshaler) MarshalBinary() ([]byte, error) { return []byte{byte(v.N)}, nil }

type halfUnmarshaler struct{ N int }

func (v *halfUnmarshaler) UnmarshalBinary(b []byte) error { return nil }

type halfMsg struct{ N int }

func (v halfMsg) MarshalMsg(b []byte) ([]byte, error) { return append(b, byte(v.N&0x7f)), nil }

type halfMsgDecoder struct{ N int }

func (v *halfMsgDecoder) UnmarshalMsg(b []byte) ([]byte, error) { return b, nil }

// wrongDecoder's UnmarshalBinary returns what io.Reader's Read would.
type wrongDecoder struct{ N int }

func (v wrongDecoder) AppendBinary(b []byte) ([]byte, error)  { return append(b, byte(v.N)), nil }
func (v *wrongDecoder) UnmarshalBinary(b []byte) (int, error) { return len(b), nil }

func TestExposeNamesTheMissingHalf(t *testing.T) {
	for _, tc := range []struct{ name, msg, want string }{
		{"uactor.halfAppender", exposePanic[halfAppender]("halfAppender"),
			"it has AppendBinary but no UnmarshalBinary; add func (v *halfAppender) UnmarshalBinary(data []byte) error"},
		{"uactor.halfMarshaler", exposePanic[halfMarshaler]("halfMarshaler"),
			"it has MarshalBinary but no UnmarshalBinary; add func (v *halfMarshaler) UnmarshalBinary(data []byte) error"},
		{"uactor.halfUnmarshaler", exposePanic[halfUnmarshaler]("halfUnmarshaler"),
			"it has UnmarshalBinary but no AppendBinary; add func (v halfUnmarshaler) AppendBinary(b []byte) ([]byte, error)"},
		{"uactor.halfMsg", exposePanic[halfMsg]("halfMsg"),
			"it has MarshalMsg but no UnmarshalMsg; add func (z *halfMsg) UnmarshalMsg(bts []byte) ([]byte, error)"},
		{"uactor.halfMsgDecoder", exposePanic[halfMsgDecoder]("halfMsgDecoder"),
			"it has UnmarshalMsg but no MarshalMsg; add func (z halfMsgDecoder) MarshalMsg(b []byte) ([]byte, error)"},
		{"uactor.wrongDecoder", exposePanic[wrongDecoder]("wrongDecoder"),
			"it has AppendBinary but no UnmarshalBinary that fits (its UnmarshalBinary is func(*uactor.wrongDecoder, []byte) (int, error), receiver first); add func (v *wrongDecoder) UnmarshalBinary(data []byte) error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.msg == "<nil>" { // exposePanic's word for no panic
				t.Fatalf("Expose accepted %s, which has half a codec", tc.name)
			}
			if !strings.Contains(tc.msg, "type "+tc.name+" cannot travel") || !strings.Contains(tc.msg, tc.want) {
				t.Errorf("message does not name %s and say %q:\n%s", tc.name, tc.want, tc.msg)
			}
		})
	}
}
