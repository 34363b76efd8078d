package frame

import "testing"

// drainRecycled empties the recycled arrays' pools.
func drainRecycled() {
	for c := range recycled {
		for recycled[c].Get() != nil {
		}
	}
}

// anyRecycled returns an array from any class, whatever its size.
func anyRecycled(int) []byte {
	for c := range recycled {
		if p, ok := recycled[c].Get().(*[]byte); ok {
			return *p
		}
	}
	return nil
}

// An array given back with Recycle receives a later payload that fits it,
// one a little larger included, whether read into an owned Buffer or
// copied (Recycled); a tiny array is never kept, and a kept array is never
// handed out for a payload it cannot hold.
func TestRecycle(t *testing.T) {
	const n = 1 << 20
	owned := func(n int) []byte { return newOwned(n, HeaderSize).B }
	for _, tc := range []struct {
		name  string
		give  func() []byte    // what is given back
		take  func(int) []byte // how a payload then gets its array
		want  int              // that payload's size
		reuse bool
	}{
		{"same size", func() []byte { return owned(n) }, owned, n, true},
		{"a call's prefix larger", func() []byte { return owned(n) }, owned, n + 40, true},
		{"through Buffer.Recycle", nil, owned, n, true},
		{"a smaller payload of its class", func() []byte { return owned(n + 1000) }, owned, n + 10, true},
		{"too large for it", func() []byte { return make([]byte, n) }, owned, n + 1, false},
		{"exactly its size", func() []byte { return make([]byte, n) }, owned, n, true},
		{"a kilobyte value copied", func() []byte { return make([]byte, 4096) }, Recycled, 4000, true},
		{"as large as a frame of the default size", func() []byte { return make([]byte, DefaultMaxSize) }, owned, DefaultMaxSize - 64, true},
		{"too small to keep", func() []byte { return make([]byte, 200) }, anyRecycled, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reuse && raceEnabled {
				t.Skip("the race detector makes sync.Pool drop what it holds")
			}
			drainRecycled()
			var given []byte
			if tc.give == nil {
				b := newOwned(n, HeaderSize)
				given = b.B
				b.Recycle()
			} else {
				given = tc.give()
				Recycle(given)
			}
			got := tc.take(tc.want)
			same := got != nil && sameArray(got, given)
			if got != nil && len(got) != tc.want {
				t.Fatalf("a %d-byte payload got %d bytes", tc.want, len(got))
			}
			if same != tc.reuse {
				t.Fatalf("a %d-byte payload in the array given back: %t, want %t", tc.want, same, tc.reuse)
			}
		})
	}
}

// A program that gives back every payload's array and takes one for the
// next allocates nothing for it: not even the pointer the pool keeps.
func TestRecycleAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it holds")
	}
	drainRecycled()
	b := make([]byte, 4096)
	allocs := testing.AllocsPerRun(1000, func() {
		Recycle(b)
		if b = Recycled(4000); b == nil {
			t.Fatal("the array given back was not handed out again")
		}
	})
	if allocs != 0 {
		t.Fatalf("a Recycle and Recycled round trip allocates %.2f times; want 0", allocs)
	}
}
