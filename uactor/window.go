package uactor

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// requestWindow keeps the requests of a connection's unfinished calls
// within the window its actor announced in the handshake (its ConnBuffer).
//
// The actor reads a CALL while the request bytes it holds are under its
// bound, whatever that CALL's size, and stops reading the connection's
// calls at the bound; a CANCEL sent after a CALL it left unread would wait
// behind it, and a call that holds the bound until it is cancelled would
// hold it for ever. The actor frees a call's bytes before its caller has
// the answer (before it answers; a Lent request once its answer is out),
// so it holds no more than the calls ahead of a CALL on the wire that its
// caller has outstanding (but for a Lent request whose handler an
// interceptor left running: it counts until the handler returns). Calls
// are let in at one time and reach the wire later, in any order, so the
// window lets a call in, sharing, only while
// everything let in stays within the window: whatever the order, the
// calls ahead of any of them then add up to less. A call that would take
// the window past it goes alone: once every call let in before it is on
// the wire, and with none let in after it until it is. Callers that
// cannot go wait in turn.
type requestWindow struct {
	size int64

	// state packs what take, sent and give change on every call (see the
	// win constants), so that while nobody waits and nobody goes alone a
	// call is let in, sent and given back with one atomic operation each
	// instead of a lock that every caller of the connection takes three
	// times. A call that must wait, or go alone, is let in under mu.
	state atomic.Uint64

	mu      sync.Mutex
	waiting []*windowWaiter // in turn; winWaiting is set while it is not empty
}

// The fields of requestWindow.state. used, the request bytes of calls let
// in and not answered, is under 2^33: under the window (a uint32) but for
// one call let in alone, whose request fits a frame (a uint32 too). unsent
// counts calls let in, sharing, not yet on the wire; at its largest no
// call is let in sharing until one is sent.
const (
	winUsedBits  = 34
	winUsed      = 1<<winUsedBits - 1
	winUnsentOne = 1 << winUsedBits
	winUnsent    = (1<<28 - 1) << winUsedBits
	winAlone     = 1 << 62 // a call let in alone is not yet on the wire
	winWaiting   = 1 << 63 // calls wait: sent and give take mu to let them in
)

// windowWaiter is a call waiting for room in the window.
type windowWaiter struct {
	n       int64
	ready   chan struct{} // closed once it is let in
	granted bool          // under requestWindow.mu
	alone   bool          // … alone
}

func newRequestWindow(size uint32) *requestWindow {
	return &requestWindow{size: int64(size)}
}

// take lets a call with n request bytes in, once it can go and no call
// waits before it, or fails with ctx's error if ctx is done first. It
// reports whether it had to wait, and whether the call goes alone; the
// caller must call sent once the frame is with the Writer (or will never
// be).
func (w *requestWindow) take(ctx context.Context, n int64) (waited, alone bool, err error) {
	for {
		v := w.state.Load()
		if v&(winAlone|winWaiting) != 0 || !w.shares(v, n) {
			break
		}
		if w.state.CompareAndSwap(v, v+uint64(n)+winUnsentOne) {
			return false, false, nil
		}
	}
	w.mu.Lock()
	if len(w.waiting) == 0 {
		if ok, alone := w.letInLocked(n, true); ok {
			w.mu.Unlock()
			return false, alone, nil
		}
	}
	wt := &windowWaiter{n: n, ready: make(chan struct{})}
	w.waiting = append(w.waiting, wt)
	w.mu.Unlock()
	select {
	case <-wt.ready:
		return true, wt.alone, nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	if wt.granted { // let in as ctx ended: undo it
		w.state.Add(-uint64(n))
		w.sentState(wt.alone)
	} else {
		i := slices.Index(w.waiting, wt)
		w.waiting = slices.Delete(w.waiting, i, i+1)
	}
	w.admitLocked() // those behind it may go now
	w.mu.Unlock()
	return true, false, ctx.Err()
}

// shares reports whether a call with n bytes fits beside those let in, in
// state v.
func (w *requestWindow) shares(v uint64, n int64) bool {
	return int64(v&winUsed)+n <= w.size && v&winUnsent != winUnsent
}

// letInLocked lets a call with n bytes in if it can go now, sharing or
// alone. Otherwise, with wait, it sets winWaiting in the same step, so
// that no sent or give in between goes unseen: the caller is about to
// queue.
func (w *requestWindow) letInLocked(n int64, wait bool) (ok, alone bool) {
	for {
		v := w.state.Load()
		next, lone := uint64(0), false
		switch {
		case v&winAlone != 0:
		case w.shares(v, n):
			next = v + uint64(n) + winUnsentOne
		case v&winUnsent == 0 && int64(v&winUsed) < w.size:
			next, lone = (v+uint64(n))|winAlone, true
		}
		if next == 0 {
			if !wait || w.state.CompareAndSwap(v, v|winWaiting) {
				return false, false
			}
			continue
		}
		if w.state.CompareAndSwap(v, next) {
			return true, lone
		}
	}
}

// sent records that a call let in (alone, or sharing) is on the wire, or
// never will be, and lets in the calls waiting that can go now.
func (w *requestWindow) sent(alone bool) {
	if w.sentState(alone)&winWaiting != 0 {
		w.mu.Lock()
		w.admitLocked()
		w.mu.Unlock()
	}
}

// sentState counts a call let in as sent, and returns a state whose
// winWaiting is the one it saw (the state before, or after: the bit is the
// same in both).
func (w *requestWindow) sentState(alone bool) uint64 {
	if alone {
		return w.state.And(^uint64(winAlone))
	}
	return w.state.Add(^uint64(winUnsentOne - 1))
}

// give counts n request bytes out, of a call answered or given up with the
// connection, and lets in the calls waiting that can go now.
func (w *requestWindow) give(n int64) {
	if w.state.Add(-uint64(n))&winWaiting != 0 {
		w.mu.Lock()
		w.admitLocked()
		w.mu.Unlock()
	}
}

// admitLocked lets in the calls waiting that can go now, in turn, and once
// none waits clears winWaiting.
func (w *requestWindow) admitLocked() {
	for len(w.waiting) > 0 {
		wt := w.waiting[0]
		ok, alone := w.letInLocked(wt.n, false)
		if !ok {
			return
		}
		w.waiting = slices.Delete(w.waiting, 0, 1)
		wt.granted, wt.alone = true, alone
		close(wt.ready)
	}
	w.state.And(^uint64(winWaiting))
}
