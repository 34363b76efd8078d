package uactor

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
)

// A carved piece is its holder's alone, as a new array would be: it holds
// its bytes, its capacity ends at its length (so Recycle, given it, sees
// only it), and neither writing to it nor appending to it reaches the
// pieces carved before or after it.
func TestCarvedPiecesAreApart(t *testing.T) {
	sizes := []int{1, 7, 8, 9, 64, 200, carveMax, 1, 1, 100}
	var pieces [][]byte
	for i, room := 0, 0; room < 3*carveBlockSize; i++ { // across blocks
		n := sizes[i%len(sizes)]
		p := ownCopy(bytes.Repeat([]byte{byte(i)}, n))
		if len(p) != n || cap(p) != n {
			t.Fatalf("piece %d: len %d cap %d; want both %d", i, len(p), cap(p), n)
		}
		pieces = append(pieces, p)
		room += (n + 7) &^ 7
	}
	for _, p := range pieces {
		_ = append(p, 0xee, 0xee)
		p[0] = 0xff
	}
	for i, p := range pieces {
		if p[0] != 0xff || !bytes.Equal(p[1:], bytes.Repeat([]byte{byte(i)}, len(p)-1)) {
			t.Fatalf("piece %d was written through another: % x", i, p)
		}
	}
}

// Goroutines carving at once each get pieces of their own (run with -race).
func TestCarveConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var kept [][]byte
			for i := range 2000 {
				p := ownCopy(bytes.Repeat([]byte{byte(g)}, 1+i%carveMax))
				for j := range p {
					p[j] = byte(g)
				}
				kept = append(kept, p)
			}
			for _, p := range kept {
				if bytes.Count(p, []byte{byte(g)}) != len(p) {
					t.Errorf("goroutine %d: a piece holds another's bytes: % x", g, p)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A payload of up to carveMax bytes costs a block's share of an
// allocation; one byte more, an allocation of its own. An empty one costs
// nothing and is not nil.
func TestCarveAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop what it holds")
	}
	for _, tc := range []struct {
		n      int
		allocs float64 // AllocsPerRun's whole number
	}{
		{0, 0},
		{1, 0},
		{64, 0},
		{carveMax, 0},
		{carveMax + 1, 1},
	} {
		b := make([]byte, tc.n)
		runtime.GC() // twice: empties the pools of given-back arrays
		runtime.GC()
		if avg := testing.AllocsPerRun(10000, func() {
			if p := ownCopy(b); p == nil || len(p) != tc.n {
				t.Fatalf("ownCopy of %d bytes: %d bytes, nil %v", tc.n, len(p), p == nil)
			}
		}); avg != tc.allocs {
			t.Errorf("%d bytes: %v allocations a copy; want %v", tc.n, avg, tc.allocs)
		}
	}
}

// The []byte elements of a [][]byte are carved too: a slice of many small
// ones costs its own array and a block's share each, and every element
// is apart from the next.
func TestCarvedElements(t *testing.T) {
	c, err := codecFor[[][]byte]("request")
	if err != nil {
		t.Fatal(err)
	}
	in := make([][]byte, 100)
	for i := range in {
		in[i] = bytes.Repeat([]byte{byte(i)}, 1+i%24)
	}
	enc, err := c.append(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.decode(enc)
	if err != nil || len(out) != len(in) {
		t.Fatalf("decode: %d elements, %v", len(out), err)
	}
	for i, p := range out {
		if cap(p) != len(p) {
			t.Fatalf("element %d: len %d cap %d", i, len(p), cap(p))
		}
		_ = append(p, 0xee)
	}
	for i := range out {
		if !bytes.Equal(out[i], in[i]) {
			t.Fatalf("element %d was written through another: % x", i, out[i])
		}
	}
	if raceEnabled {
		return // the race detector makes sync.Pool drop what it holds
	}
	if avg := testing.AllocsPerRun(100, func() { c.decode(enc) }); avg > 2 {
		t.Fatalf("%v allocations to decode 100 small elements; want the slice's and a block's", avg)
	}
}
