package uactor

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// callSlots bounds a connection's calls in flight (MaxInFlight): a call
// takes a slot before it is sent and gives it back once answered, or once
// the connection ends. Callers that find none free wait in turn.
//
// While nobody waits, a slot is taken and given back with one atomic
// operation each: a lock there would be taken twice a call by every caller
// of the connection. Waiting goes through mu.
type callSlots struct {
	max   uint64
	state atomic.Uint64 // the slots taken, and slotsWaiting

	mu      sync.Mutex
	waiting []*slotWaiter // in turn; slotsWaiting is set while it is not empty
}

// slotsWaiting is the flag in callSlots.state that says calls wait: release
// then takes mu to hand them the slots it frees.
const slotsWaiting = 1 << 63

// slotWaiter is a call waiting for a slot.
type slotWaiter struct {
	ready   chan struct{} // closed once it has its slot
	granted bool          // under callSlots.mu
}

// newCallSlots returns n slots, n at least 1: an int, so the count never
// reaches slotsWaiting.
func newCallSlots(n int) *callSlots { return &callSlots{max: uint64(n)} }

// acquire takes a slot, waiting in turn for one if none is free, and fails
// with ctx's error if ctx is done first: also if it is done already, when
// the call must not be made.
func (s *callSlots) acquire(ctx context.Context) error {
	if done := ctx.Done(); done != nil {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
	}
	for {
		v := s.state.Load()
		if v&slotsWaiting != 0 || v >= s.max {
			break
		}
		if s.state.CompareAndSwap(v, v+1) {
			return nil
		}
	}
	s.mu.Lock()
	if len(s.waiting) == 0 && s.takeLocked(true) {
		s.mu.Unlock()
		return nil
	}
	wt := &slotWaiter{ready: make(chan struct{})}
	s.waiting = append(s.waiting, wt)
	s.mu.Unlock()
	select {
	case <-wt.ready:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	if wt.granted { // handed a slot as ctx ended: give it on
		s.state.Add(^uint64(0))
	} else {
		i := slices.Index(s.waiting, wt)
		s.waiting = slices.Delete(s.waiting, i, i+1)
	}
	s.admitLocked()
	s.mu.Unlock()
	return ctx.Err()
}

// takeLocked takes a free slot if there is one. Otherwise, with wait, it
// sets slotsWaiting in the same step, so that a release in between is not
// missed: the caller is about to queue.
func (s *callSlots) takeLocked(wait bool) bool {
	for {
		v := s.state.Load()
		if v&^slotsWaiting < s.max {
			if s.state.CompareAndSwap(v, v+1) {
				return true
			}
			continue
		}
		if !wait || s.state.CompareAndSwap(v, v|slotsWaiting) {
			return false
		}
	}
}

// release gives a slot back, to the first call waiting if there is one.
func (s *callSlots) release() {
	if s.state.Add(^uint64(0))&slotsWaiting != 0 {
		s.mu.Lock()
		s.admitLocked()
		s.mu.Unlock()
	}
}

// admitLocked hands free slots to the calls waiting, in turn, and once none
// waits clears slotsWaiting.
func (s *callSlots) admitLocked() {
	for len(s.waiting) > 0 {
		if !s.takeLocked(false) {
			return
		}
		wt := s.waiting[0]
		s.waiting = slices.Delete(s.waiting, 0, 1)
		wt.granted = true
		close(wt.ready)
	}
	s.state.And(^uint64(slotsWaiting))
}
