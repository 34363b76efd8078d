package uactor

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
)

// A carved value is a copy its receiver owns: the source may change at
// once, and appending to the value never reaches the next one carved.
func TestCarveCopies(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"small", 64},
		{"largest carved", carveLimit},
		{"just too large", carveLimit + 1},
		{"a slab", slabSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := bytes.Repeat([]byte{'a'}, tc.n)
			got := carve(src)
			// A larger value has an array of its own, which may be longer.
			if got == nil || len(got) != tc.n || tc.n <= carveLimit && cap(got) != tc.n {
				t.Fatalf("carve of %d bytes: len %d cap %d (nil %t); want %d, not nil", tc.n, len(got), cap(got), got == nil, tc.n)
			}
			next := carve(bytes.Repeat([]byte{'b'}, 8))
			str := carveString(src)
			clear(src) // the frame's buffer goes back to its pool
			_ = append(got, 'x', 'x')
			if !bytes.Equal(got, bytes.Repeat([]byte{'a'}, tc.n)) || string(next) != "bbbbbbbb" || str != string(got) {
				t.Fatalf("after the source changed and the value grew: %q, next %q, string %q", got, next, str)
			}
		})
	}
}

// Small values share arrays: carving them allocates once for many.
func TestCarveShares(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop slabs")
	}
	src := make([]byte, 64)
	const n = 10000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		carve(src)
	}
	runtime.ReadMemStats(&after)
	// One slab per slabSize/64 values, and a few for slabs a collection took.
	if allocs, most := after.Mallocs-before.Mallocs, uint64(n/(slabSize/64)+10); allocs > most {
		t.Fatalf("%d carves of 64 bytes made %d allocations; want at most %d", n, allocs, most)
	}
}

// Goroutines carving at once get shares that do not overlap: each keeps
// what it carved, and all of it is intact at the end (the race detector
// would see two goroutines writing one share).
func TestCarveConcurrent(t *testing.T) {
	const workers, each = 8, 2000
	kept := make([][][]byte, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			src := make([]byte, carveLimit)
			for i := range each {
				n := 1 + (i*7+w)%carveLimit
				for j := range n {
					src[j] = byte(w*31 + i + j)
				}
				kept[w] = append(kept[w], carve(src[:n]))
			}
		})
	}
	wg.Wait()
	for w := range workers {
		for i, got := range kept[w] {
			n := 1 + (i*7+w)%carveLimit
			if len(got) != n {
				t.Fatalf("worker %d value %d: %d bytes, want %d", w, i, len(got), n)
			}
			for j, c := range got {
				if c != byte(w*31+i+j) {
					t.Fatalf("worker %d value %d changed at byte %d", w, i, j)
				}
			}
		}
	}
}
