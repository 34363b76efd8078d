package uactor

import (
	"sync"

	"github.com/uactor-go/uactor/internal/frame"
)

// A small []byte that arrives is its receiver's to keep (a handler's
// request, a caller's response, an element of either), so each would cost an
// allocation. Instead it is copied into a piece carved from a shared block:
// one allocation serves a block's worth of payloads. A piece is its
// receiver's alone, as a new array would be: its capacity ends where it
// does, so an append to it moves it rather than writing into the next piece.
// The difference is that a piece that is kept keeps its whole block from the
// collector. The package's doc and the README give both sizes.
const (
	// carveMax is the largest payload carved: below what Recycle keeps,
	// which leaves a piece given to it to the collector with its block
	// (it would see only the piece, whose capacity ends at its length).
	// From there a payload goes into a given-back array if there is one
	// (frame.Recycled).
	carveMax = frame.MinRecycled - 1
	// carveBlockSize is a block's size: a kept piece holds at most this
	// much memory, and a block serves sixteen payloads or more.
	carveBlockSize = 4 << 10
)

// carveBlock is the room left in one block.
type carveBlock struct{ free []byte }

// carveBlocks holds the blocks being carved, one per goroutine at a time.
var carveBlocks = sync.Pool{New: func() any { return new(carveBlock) }}

// carveCopy returns a copy of b, which is at most carveMax bytes, in a
// piece of a block. Pieces start eight bytes apart or more, so that no two
// share a word.
func carveCopy(b []byte) []byte {
	n := len(b)
	if n == 0 {
		return []byte{}
	}
	blk := carveBlocks.Get().(*carveBlock)
	if len(blk.free) < n {
		blk.free = make([]byte, carveBlockSize)
	}
	p := blk.free[:n:n]
	copy(p, b)
	blk.free = blk.free[min((n+7)&^7, len(blk.free)):]
	carveBlocks.Put(blk)
	return p
}
