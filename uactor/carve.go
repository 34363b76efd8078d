package uactor

import (
	"sync"
	"unsafe"
)

// A []byte or string that arrives belongs to its receiver, so it needs bytes
// that nothing else uses or will reuse: an allocation of its own would cost
// one for every small request and response. carve instead copies a small
// value into the unused end of a shared array and hands out that share,
// never to be handed out again, as the standard library's MIME header
// reader cuts one allocation into many values. The price is retention: a
// value that is kept keeps its whole array (at most slabSize bytes) from
// the collector.
const (
	slabSize   = 4 << 10
	carveLimit = slabSize / 16 // so that at most one call in 16 allocates
)

// slab is an array's unused end. A slab is used by one goroutine at a time:
// it is taken from slabs and put back around each carve.
type slab struct{ free []byte }

var slabs = sync.Pool{New: func() any { return new(slab) }}

// carve returns a copy of b that its caller owns: its capacity is its
// length, so that an append reallocates rather than writing into the next
// share, and its bytes are written only here, before carve returns.
func carve(b []byte) []byte {
	n := len(b)
	if n == 0 {
		return []byte{}
	}
	if n > carveLimit {
		return append([]byte(nil), b...)
	}
	s := slabs.Get().(*slab)
	if len(s.free) < n {
		s.free = make([]byte, slabSize)
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	copy(out, b)
	slabs.Put(s)
	return out
}

// carveString is carve for a string. Nothing writes the carved bytes once
// carve returns, and nothing else refers to them, so they may be a string's.
func carveString(b []byte) string {
	c := carve(b)
	return unsafe.String(unsafe.SliceData(c), len(c))
}
