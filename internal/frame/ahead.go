package frame

import (
	"runtime"
	"sync/atomic"
)

// A frame's body is best allocated whole as soon as its length prefix
// arrives: then its bytes are read straight into the array that the
// receiver gets, with no copy. But the length is the peer's word: one that
// declares a large body and sends nothing more would make this end hold
// the whole of it for each connection. So a body above aheadFree is
// allocated whole only while the process holds less than aheadBudget of
// such bodies whose bytes have not all arrived; beyond that it starts at
// aheadFree bytes and grows, doubling, as its bytes arrive (see readBody).
// Peers that stall then hold at most the budget, aheadFree a connection,
// and about twice what they actually sent.
const (
	// aheadFree is the largest body allocated whole without counting
	// against the budget.
	aheadFree = 64 << 10

	// aheadBudget bounds the bytes of the bodies, process-wide, allocated
	// ahead of their arrival.
	aheadBudget = 64 << 20
)

// ahead is how much of aheadBudget is in use.
var ahead atomic.Int64

// aheadCharge is what one Reader has charged to ahead. It lies outside the
// Reader so that a cleanup can give it back once the Reader is collected:
// a Reader abandoned after a timeout, never read again, holds its body
// until then, and not beyond.
type aheadCharge struct{ n atomic.Int64 }

// giveBack returns c's charge to the budget.
func (c *aheadCharge) giveBack() {
	if n := c.n.Swap(0); n != 0 {
		ahead.Add(-n)
	}
}

// startBody allocates r.body for a body of size bytes, more than
// aheadFree: whole if the budget has room for it (or for the first
// eagerBody bytes of a larger one), which it is then charged with until
// the body is complete or the Reader fails; otherwise aheadFree bytes, to
// grow as the body arrives.
func (r *Reader) startBody(size int) {
	first := min(size, eagerBody)
	if !r.charge(first) {
		r.body = GetBuffer(aheadFree)
		return
	}
	if size >= ownedBody && size <= eagerBody {
		r.body = newOwned(size, r.lead())
	} else {
		r.body = GetBuffer(first)
	}
}

// charge takes n bytes from the budget for r's body, if it has room.
func (r *Reader) charge(n int) bool {
	for {
		used := ahead.Load()
		if used+int64(n) > aheadBudget {
			return false
		}
		if ahead.CompareAndSwap(used, used+int64(n)) {
			break
		}
	}
	if r.charged == nil {
		r.charged = new(aheadCharge)
		runtime.AddCleanup(r, (*aheadCharge).giveBack, r.charged)
	}
	r.charged.n.Store(int64(n))
	r.charging = true
	return true
}

// giveBack returns the charge for r's body, if any, to the budget: once the
// body is complete, or when the Reader fails.
func (r *Reader) giveBack() {
	r.charging = false
	r.charged.giveBack()
}

// AheadInUse returns how many bytes of the process-wide budget for bodies
// allocated ahead of their bytes are charged now: for tests that check a
// connection's end gives its charge back.
func AheadInUse() int64 { return ahead.Load() }
