package uactor

import (
	"sync"
	"unsafe"
)

// Scratch buffers for encoding requests and responses: pooled, so that a call
// allocates nothing to encode. Oversized ones are dropped rather than kept.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

const maxPooledScratch = 1 << 20

func getScratch() *[]byte { return scratchPool.Get().(*[]byte) }

func putScratch(b *[]byte) {
	if cap(*b) > maxPooledScratch {
		return
	}
	*b = (*b)[:0]
	scratchPool.Put(b)
}

// keepScratch makes b, an encoding appended to (*buf)[:0], what buf holds
// next, if the library may write into b's array again: it may if that is
// buf's array. Otherwise b is an array an appender grew, or memory of a
// user's own that its AppendBinary returned instead of appending, which
// cannot be told apart: b is never kept, and buf gets a new array as large
// instead, so that an appender that outgrew buf grows it once, not at
// every call.
func keepScratch(buf *[]byte, b []byte) {
	switch {
	case unsafe.SliceData(b) == unsafe.SliceData(*buf):
		*buf = b
	case cap(b) > cap(*buf) && cap(b) <= maxPooledScratch:
		*buf = make([]byte, 0, cap(b))
	}
}
