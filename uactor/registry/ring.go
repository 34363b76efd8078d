package registry

import (
	"slices"
	"time"
)

// ring is the registered set in registration order, with a cursor that
// cycles over it. It is not safe for concurrent use: Registry guards it.
type ring struct {
	entries []*entry
	byAddr  map[string]*entry
	next    int // index of the entry the next advance returns
}

// add appends e unless its address is there already, and reports whether it did.
func (r *ring) add(e entry) bool {
	if r.byAddr == nil {
		r.byAddr = map[string]*entry{}
	}
	if old := r.byAddr[e.addr]; old != nil {
		old.strikes, old.failing = 0, time.Time{} // registered again: whoever did thinks it lives
		return false
	}
	p := &e
	r.entries = append(r.entries, p)
	r.byAddr[e.addr] = p
	return true
}

// remove drops the entry for addr, if any, and reports whether it did. The
// cursor keeps pointing at the same next entry.
func (r *ring) remove(addr string) bool {
	e := r.byAddr[addr]
	if e == nil {
		return false
	}
	delete(r.byAddr, addr)
	i := slices.Index(r.entries, e)
	r.entries = slices.Delete(r.entries, i, i+1)
	if i < r.next {
		r.next--
	}
	if r.next >= len(r.entries) {
		r.next = 0
	}
	return true
}

// get returns the entry for addr, or nil.
func (r *ring) get(addr string) *entry { return r.byAddr[addr] }

// advance returns a copy of the first entry from the cursor on whose
// address is not in skip, and, unless suspects is set, that is no suspect
// (see entry.suspect); it moves the cursor past it, wrapping around. It returns false
// when there is none (or the ring is empty).
func (r *ring) advance(skip map[string]bool, suspects bool) (entry, bool) {
	for range r.entries {
		e := r.entries[r.next]
		r.next = (r.next + 1) % len(r.entries)
		if !skip[e.addr] && (suspects || !e.suspect()) {
			return *e, true
		}
	}
	return entry{}, false
}

// snapshot returns copies of the entries, in order.
func (r *ring) snapshot() []entry {
	out := make([]entry, len(r.entries))
	for i, e := range r.entries {
		out[i] = *e
	}
	return out
}

// addresses returns the registered addresses, in order.
func (r *ring) addresses() Addresses {
	out := make(Addresses, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.addr
	}
	return out
}

func (r *ring) len() int { return len(r.entries) }
