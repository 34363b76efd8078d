package uactor

import "iter"

// pendingCalls is a connection's table of calls awaiting their answers, by
// call id. An id names a slot, in its low 32 bits, and which use of the
// slot it is, in its high 32 bits: a slot is used again as soon as its call
// ends, and an answer to an earlier use (late, or forged) finds nothing. It
// is used under clientConn.mu.
//
// Against a map, adding, finding and removing a call each touch one slot,
// with no hashing, inside the lock that every call of the connection takes.
type pendingCalls struct {
	slots []pendingSlot
	free  []uint32 // the slots not in use
}

// pendingSlot holds one call, or none (cl nil). win is the window bytes of
// an abandoned call's request, given back when its answer comes.
type pendingSlot struct {
	id  uint64 // the call's, or the last one's
	cl  *call
	win int64
}

// add puts cl in a free slot and returns its id, never 0.
func (p *pendingCalls) add(cl *call) uint64 {
	var i uint32
	if k := len(p.free); k > 0 {
		i, p.free = p.free[k-1], p.free[:k-1]
	} else {
		i = uint32(len(p.slots))
		p.slots = append(p.slots, pendingSlot{})
	}
	s := &p.slots[i]
	use := uint32(s.id>>32) + 1
	if use == 0 { // after 2^32 uses of the slot: 0 would name slot 0's id 0
		use = 1
	}
	s.id, s.cl = uint64(use)<<32|uint64(i), cl
	return s.id
}

// slot returns id's slot, or nil if no call has it.
func (p *pendingCalls) slot(id uint64) *pendingSlot {
	i := uint64(uint32(id))
	if i >= uint64(len(p.slots)) {
		return nil
	}
	s := &p.slots[i]
	if s.id != id || s.cl == nil {
		return nil
	}
	return s
}

// take removes call id from the table and returns it, with its window
// bytes if it was abandoned; nil if no call has the id.
func (p *pendingCalls) take(id uint64) (cl *call, win int64) {
	s := p.slot(id)
	if s == nil {
		return nil, 0
	}
	cl, win = s.cl, s.win
	s.cl, s.win = nil, 0
	p.free = append(p.free, uint32(id))
	return cl, win
}

// abandon puts abandoned in call id's place, holding win bytes of the window.
func (p *pendingCalls) abandon(id uint64, win int64) {
	if s := p.slot(id); s != nil {
		s.cl, s.win = abandoned, win
	}
}

// len returns how many calls the table holds.
func (p *pendingCalls) len() int { return len(p.slots) - len(p.free) }

// all yields the slots that hold a call, abandoned ones included.
func (p *pendingCalls) all() iter.Seq[*pendingSlot] {
	return func(yield func(*pendingSlot) bool) {
		for i := range p.slots {
			if s := &p.slots[i]; s.cl != nil && !yield(s) {
				return
			}
		}
	}
}

// reset empties the table.
func (p *pendingCalls) reset() { *p = pendingCalls{} }
