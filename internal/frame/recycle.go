package frame

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// A payload that its receiver keeps costs an allocation: a large one is read
// into an array of its own (see Buffer.Own), a smaller one copied out of its
// pooled frame into a new array (see Recycled). With megabytes a call, or
// kilobytes at high rates, that sets how often each process collects. A
// receiver that is done with such an array can give it back with Recycle,
// and a later payload of about its size goes into it instead.

// recycled holds given-back arrays by the power of two below their
// capacity: every array in recycled[c] has room for at least
// 1<<(c+minClassShift) bytes. given[c] is set once anything was: until then
// a lookup costs one atomic load, for programs that never recycle.
var (
	recycled [maxRecycledShift - minClassShift + 1]sync.Pool
	given    [len(recycled)]atomic.Bool
)

// maxRecycledShift is the class of the largest arrays kept: under 32 MiB,
// so that a payload as large as a frame of DefaultMaxSize can be recycled.
// The read pools stop lower (see maxClassShift); an array given back
// explicitly is one its program will need again.
const maxRecycledShift = 24

// holders keeps the emptied *[]byte that Recycled took out of recycled, for
// Recycle to fill again: a pool holds pointers, and a new one for each
// array given back would cost an allocation a call to a program that
// recycles every response.
var holders sync.Pool

// MinRecycled is the least capacity that Recycle keeps: a smaller array is
// left to the collector.
const MinRecycled = 1 << minClassShift

// recycledClass returns the pool for an array of capacity n, or -1 for one
// too small or too large to keep.
func recycledClass(n int) int {
	c := bits.Len(uint(n)) - 1 - minClassShift
	if c < 0 || c >= len(recycled) {
		return -1
	}
	return c
}

// Recycle keeps b's array for a later payload. b must be the whole of what
// its owner holds of the array, and nothing may use the array once Recycle
// is called: the next payload put into it overwrites it. Arrays of under
// 256 bytes, or of 32 MiB or more, are left to the collector.
func Recycle(b []byte) {
	if c := recycledClass(cap(b)); c >= 0 {
		p, _ := holders.Get().(*[]byte) // only here: a small b must cost nothing
		if p == nil {
			p = new([]byte)
		}
		*p = b[:cap(b)]
		recycled[c].Put(p)
		if !given[c].Load() {
			given[c].Store(true)
		}
	}
}

// Recycled returns a given-back array of n bytes (its capacity may be
// more), or nil if there is none with room: for a receiver about to copy an
// n-byte payload into an array of its own. It looks in n's class, whose
// arrays may be too small, then in the next, whose arrays never are (an
// allocation of 4 000 bytes has a capacity of 4 096, one class up).
func Recycled(n int) []byte {
	c := recycledClass(n)
	if c < 0 {
		return nil
	}
	for _, c := range [...]int{c, c + 1} {
		if c >= len(recycled) || !given[c].Load() {
			continue
		}
		if p, ok := recycled[c].Get().(*[]byte); ok {
			b := *p
			*p = nil
			holders.Put(p)
			if cap(b) >= n {
				return b[:n]
			} // one too small is left to the collector
		}
	}
	return nil
}

// Recycle is Release, except that an owned Buffer's array is kept for a
// later payload rather than left to the collector: for a Buffer whose
// payload nothing refers to any more.
func (b *Buffer) Recycle() {
	if b != nil && b.class < 0 {
		Recycle(b.buf)
	}
	b.Release()
}
