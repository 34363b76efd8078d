package uactor

import (
	"strings"
	"testing"
)

// Decoding methods declared with a value receiver work on a copy: the
// value a decoder fills stays zero, so each value would arrive empty,
// silently. Expose refuses such a type, saying to declare the method on
// the pointer; a type of zero size, which has nothing to fill, travels.

type valueBinary struct{ N int }

func (v valueBinary) AppendBinary(b []byte) ([]byte, error) { return append(b, byte(v.N)), nil }
func (v valueBinary) UnmarshalBinary(b []byte) error {
	if len(b) == 1 {
		v.N = int(b[0]) // lost: v is a copy
	}
	return nil
}

type valueMsg struct{ N int }

func (v valueMsg) MarshalMsg(b []byte) ([]byte, error) { return append(b, byte(v.N&0x7f)), nil }
func (v valueMsg) UnmarshalMsg(b []byte) ([]byte, error) {
	v.N = int(b[0]) // lost: v is a copy
	return b[1:], nil
}

// valueEmbedder has its decoding method, with a value receiver, from the
// struct it embeds as a value: as lost.
type valueEmbedder struct{ valueBinary }

type zeroSized struct{}

func (zeroSized) AppendBinary(b []byte) ([]byte, error) { return b, nil }
func (zeroSized) UnmarshalBinary(b []byte) error        { return nil }

func TestExposeRejectsValueReceiverDecoders(t *testing.T) {
	for _, tc := range []struct{ name, msg, want string }{
		{"uactor.valueBinary", exposePanic[valueBinary]("valueBinary"), "UnmarshalBinary has a value receiver"},
		{"uactor.valueMsg", exposePanic[valueMsg]("valueMsg"), "UnmarshalMsg has a value receiver"},
		{"uactor.valueEmbedder", exposePanic[valueEmbedder]("valueEmbedder"), "UnmarshalBinary has a value receiver"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.msg == "<nil>" { // exposePanic's word for no panic
				t.Fatalf("Expose accepted %s, whose values would all arrive as the zero value", tc.name)
			}
			if !strings.Contains(tc.msg, tc.name) || !strings.Contains(tc.msg, tc.want) || !strings.Contains(tc.msg, "pointer receiver") {
				t.Errorf("message does not name %s and say %q and what to do: %s", tc.name, tc.want, tc.msg)
			}
		})
	}
	if msg := exposePanic[zeroSized]("zeroSized"); msg != "<nil>" {
		t.Errorf("Expose refused a zero-size type, which loses nothing: %s", msg)
	}
}
