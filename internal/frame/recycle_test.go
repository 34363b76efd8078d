package frame

import (
	"testing"
	"unsafe"
)

// drainRecycled empties the recycled arrays' pools.
func drainRecycled() {
	for c := range recycled {
		for recycled[c].Get() != nil {
		}
	}
}

// A large payload's array given back with Recycle receives a later payload
// that fits it, one a little larger included; a small array is never kept,
// and a kept array is never handed out for a payload it cannot hold.
func TestRecycle(t *testing.T) {
	const n = 1 << 20
	for _, tc := range []struct {
		name  string
		give  func() []byte // what is given back
		want  int           // the payload then asked for
		reuse bool
	}{
		{"same size", func() []byte { return newOwned(n).B }, n, true},
		{"a call's prefix larger", func() []byte { return newOwned(n).B }, n + 40, true},
		{"through Buffer.Recycle", nil, n, true},
		{"a smaller payload of its class", func() []byte { return newOwned(n + 1000).B }, n + 10, true},
		{"too large for it", func() []byte { return make([]byte, n) }, n + 1, false},
		{"small", func() []byte { return make([]byte, 1000) }, 1000, false},
		{"a small value's share", func() []byte { return make([]byte, ownedBody)[:64:64] }, 64, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reuse && raceEnabled {
				t.Skip("the race detector makes sync.Pool drop what it holds")
			}
			drainRecycled()
			var given []byte
			if tc.give == nil {
				b := newOwned(n)
				given = b.B
				b.Recycle()
			} else {
				given = tc.give()
				Recycle(given)
			}
			got := newOwned(tc.want)
			if len(got.B) != tc.want || !got.Own() {
				t.Fatalf("newOwned(%d): %d bytes, owned %t", tc.want, len(got.B), got.Own())
			}
			same := unsafe.SliceData(got.B) == unsafe.SliceData(given)
			if same != tc.reuse {
				t.Fatalf("payload of %d bytes in the array given back: %t, want %t", tc.want, same, tc.reuse)
			}
		})
	}
}
