package frame

import (
	"errors"
	"testing"
)

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    Type
		want string
	}{
		{TypeCall, "CALL"},
		{TypeReply, "REPLY"},
		{TypeError, "ERROR"},
		{TypeCancel, "CANCEL"},
		{TypePing, "PING"},
		{TypePong, "PONG"},
		{TypeGoAway, "GOAWAY"},
		{0, "Type(0)"},
		{8, "Type(8)"},
		{255, "Type(255)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(tt.t), got, tt.want)
		}
	}
}

func TestHeaderCheck(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		ok   bool
	}{
		{"call", Header{Type: TypeCall, ID: 1}, true},
		{"goaway", Header{Type: TypeGoAway}, true},
		{"zero type", Header{}, false},
		{"type 8", Header{Type: 8}, false},
		{"compressed", Header{Type: TypeCall, Flags: FlagCompressed}, false},
		{"unknown flag", Header{Type: TypeCall, Flags: 1 << 7}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.check()
			if tt.ok && err != nil {
				t.Fatalf("check() = %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrMalformed) {
				t.Fatalf("check() = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestBodyHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{Type: TypeCall, ID: 0},
		{Type: TypeReply, ID: 1},
		{Type: TypePong, ID: 1<<64 - 1},
	} {
		var b [BodyHeaderSize]byte
		putBodyHeader(b[:], h)
		got, err := parseBodyHeader(b[:], false)
		if err != nil || got != h {
			t.Errorf("round trip of %+v = %+v, %v", h, got, err)
		}
	}
}
