package uactor

import "sync"

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
