package registry

import "time"

// ring is the registered set in registration order, with a cursor that
// cycles over it. It is not safe for concurrent use: Registry guards it.
//
// Removal leaves a hole (a nil slot) where the entry was, found through
// at, and the holes are squeezed out in one pass once they outnumber the
// entries: removing many entries (a long Deregister, a probe dropping
// thousands) costs in proportion to how many, not to that times the
// ring's length, while holding the registry's lock.
type ring struct {
	slots []*entry       // in registration order; nil where one was removed
	at    map[string]int // each entry's index in slots, by address
	next  int            // index of the slot the next advance starts at: an entry's, unless the ring is empty
	work  int            // slots remove and compaction visited or moved, in all: tests bound it
	gens  uint64         // registrations made, in all: the last entry's gen
}

// add appends e unless its address is there already, and reports whether
// it did. An appended entry gets a gen of its own, so that a check that
// dialled an address before it was deregistered and registered again
// tells the entry it judged from the one now there. An address registered
// again in place keeps its entry, and counts it (regs): a check that
// dialled before then does not drop it for a refusal (see judge).
func (r *ring) add(e entry) bool {
	if r.at == nil {
		r.at = map[string]int{}
	}
	if i, ok := r.at[e.addr]; ok {
		old := r.slots[i]
		old.strikes, old.failing = 0, time.Time{} // registered again: whoever did thinks it lives
		old.regs++
		return false
	}
	r.gens++
	e.gen = r.gens
	r.at[e.addr] = len(r.slots)
	r.slots = append(r.slots, &e)
	return true
}

// remove drops the entry for addr, if any, and reports whether it did. The
// cursor keeps pointing at the same next entry.
func (r *ring) remove(addr string) bool {
	i, ok := r.at[addr]
	if !ok {
		return false
	}
	delete(r.at, addr)
	r.slots[i] = nil
	r.work++
	switch {
	case len(r.at) == 0:
		r.slots, r.next = r.slots[:0], 0
	case len(r.slots)-len(r.at) > len(r.at):
		r.compact()
	case i == r.next:
		r.settle()
	}
	return true
}

// settle moves the cursor from a hole on to the next entry, wrapping
// around. A hole it passes is then behind the cursor, so passing holes
// costs each no more than once per cycle.
func (r *ring) settle() {
	for r.slots[r.next] == nil {
		r.next = (r.next + 1) % len(r.slots)
		r.work++
	}
}

// compact squeezes the holes out of slots, keeping the order and the
// entry the cursor points at. The ring must not be empty.
func (r *ring) compact() {
	r.settle()
	kept := r.slots[:0]
	for i, e := range r.slots {
		r.work++
		if e == nil {
			continue
		}
		if i == r.next {
			r.next = len(kept)
		}
		r.at[e.addr] = len(kept)
		kept = append(kept, e)
	}
	clear(r.slots[len(kept):]) // let the removed entries go
	r.slots = kept
}

// get returns the entry for addr, or nil.
func (r *ring) get(addr string) *entry {
	if i, ok := r.at[addr]; ok {
		return r.slots[i]
	}
	return nil
}

// advance returns a copy of the first entry from the cursor on whose
// address is not in skip, and, unless suspects is set, that is no suspect
// (see entry.suspect); it moves the cursor past it, wrapping around. It returns false
// when there is none (or the ring is empty).
func (r *ring) advance(skip map[string]bool, suspects bool) (entry, bool) {
	for range r.slots {
		e := r.slots[r.next]
		r.next = (r.next + 1) % len(r.slots)
		if e != nil && !skip[e.addr] && (suspects || !e.suspect()) {
			r.settle()
			return *e, true
		}
	}
	return entry{}, false
}

// snapshot returns copies of the entries, in order.
func (r *ring) snapshot() []entry {
	out := make([]entry, 0, len(r.at))
	for _, e := range r.slots {
		if e != nil {
			out = append(out, *e)
		}
	}
	return out
}

// addresses returns the registered addresses, in order.
func (r *ring) addresses() Addresses {
	out := make(Addresses, 0, len(r.at))
	for _, e := range r.slots {
		if e != nil {
			out = append(out, e.addr)
		}
	}
	return out
}

func (r *ring) len() int { return len(r.at) }
