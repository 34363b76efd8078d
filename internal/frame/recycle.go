package frame

import (
	"math/bits"
	"sync"
)

// A large payload is read into an array of its own (see Buffer.Own), which
// its receiver usually keeps, so that each costs an allocation, zeroed, and
// with megabytes a call, a collection every few calls. A receiver that is
// done with such an array can give it back with Recycle, and the next large
// payload of about its size is read into it instead.

// recycled holds given-back arrays of ownedBody bytes or more, by the power
// of two below their capacity: every array in recycled[c] has room for at
// least 1<<(c+ownedShift) bytes.
var recycled [maxClassShift - ownedShift + 1]sync.Pool

const ownedShift = 18 // ownedBody is 1 << ownedShift: 256 KiB

// recycledClass returns the pool for an array of capacity n, or -1 for one
// too small or too large to keep.
func recycledClass(n int) int {
	c := bits.Len(uint(n)) - 1 - ownedShift
	if c < 0 || c >= len(recycled) {
		return -1
	}
	return c
}

// Recycle keeps b's array for a later large payload. b must be the whole of
// what its owner holds of the array, and nothing may use the array once
// Recycle is called: the next payload read into it overwrites it. Arrays
// smaller than a large payload are left to the collector, so that Recycle
// of a small value (which may share its array with others) does nothing.
func Recycle(b []byte) {
	if c := recycledClass(cap(b)); c >= 0 {
		p := new([]byte) // only here: a small b must cost nothing
		*p = b[:cap(b)]
		recycled[c].Put(p)
	}
}

// takeRecycled returns a given-back array with room for n bytes, or nil.
func takeRecycled(n int) []byte {
	c := recycledClass(n)
	if c < 0 {
		return nil
	}
	p, ok := recycled[c].Get().(*[]byte)
	if !ok || cap(*p) < n {
		return nil // a smaller one of the class: left to the collector
	}
	return (*p)[:n]
}

// Recycle is Release, except that an owned Buffer's array is kept for a
// later large payload rather than left to the collector: for a Buffer whose
// payload nothing refers to any more.
func (b *Buffer) Recycle() {
	if b != nil && b.class < 0 {
		Recycle(b.buf)
	}
	b.Release()
}
