package handshake

import (
	"errors"
	"testing"
)

func TestHelloRoundTrip(t *testing.T) {
	h := hello{flags: FeatureSeal | FeatureZstd, nonce: fixedNonce(9), share: fixedShare(9), id: testID, window: [4]byte{1, 2, 3, 4}, frameMax: [4]byte{5, 6, 7, 8}}
	cb := h.encodeClient()
	if string(cb[:4]) != "uAct" || cb[4] != 4 || cb[5] != 3 || cb[6] != '\r' || cb[7] != '\n' {
		t.Fatalf("client hello header %x", cb[:8])
	}
	if [32]byte(cb[40:72]) != h.share || [4]byte(cb[72:]) != h.frameMax {
		t.Fatalf("client hello fields at the wrong place: %x", cb)
	}
	got, err := parseHello(cb[:], false)
	if err != nil || got.flags != h.flags || got.nonce != h.nonce || got.share != h.share || got.id != ([16]byte{}) || got.window != ([4]byte{}) || got.frameMax != h.frameMax {
		t.Fatalf("client hello round trip: %+v, %v", got, err)
	}
	sb := h.encodeServer()
	if [16]byte(sb[40:56]) != testID || [32]byte(sb[56:88]) != h.share || [4]byte(sb[88:92]) != h.window || [4]byte(sb[92:]) != h.frameMax {
		t.Fatalf("server hello fields at the wrong place: %x", sb)
	}
	got, err = parseHello(sb[:], true)
	if err != nil || got != h {
		t.Fatalf("server hello round trip: %+v, %v", got, err)
	}
}

func TestParseHeader(t *testing.T) {
	cases := []struct {
		name string
		b    string
		want error
	}{
		{"ok", "uAct\x04\x03\r\n", nil},
		{"http", "GET / HT", ErrNotUactor},
		{"case", "uact\x01\x00\x00\x00", ErrNotUactor},
		{"version 1", "uAct\x01\x00\r\n", ErrVersion},
		{"version 2", "uAct\x02\x00\r\n", ErrVersion},
		{"version 3", "uAct\x03\x00\r\n", ErrVersion},
		{"flags", "uAct\x04\x04\r\n", ErrProtocol},
		{"no CR LF", "uAct\x04\x00\x00\x01", ErrProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseHeader([]byte(tc.b))
			if tc.want == nil && err != nil || !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBadMagic(t *testing.T) {
	for in, want := range map[string]bool{"": false, "u": false, "uA": false, "uAct": false, "uActX": false, "x": true, "uB": true, "uAcT": true} {
		if got := badMagic([]byte(in)); got != want {
			t.Errorf("badMagic(%q) = %v, want %v", in, got, want)
		}
	}
}
