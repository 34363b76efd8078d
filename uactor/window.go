package uactor

import (
	"context"
	"slices"
	"sync"
)

// requestWindow keeps the requests of a connection's unfinished calls
// within the window its actor announced in the handshake (its ConnBuffer).
//
// The actor reads a CALL while the request bytes it holds are under its
// bound, whatever that CALL's size, and stops reading the connection's
// calls at the bound; a CANCEL sent after a CALL it left unread would wait
// behind it, and a call that holds the bound until it is cancelled would
// hold it for ever. The actor frees a call's bytes before it answers, so
// it holds no more than the calls ahead of a CALL on the wire that its
// caller has outstanding. Calls are let in at one time and reach the wire
// later, in any order, so the window lets a call in, sharing, only while
// everything let in stays within the window: whatever the order, the
// calls ahead of any of them then add up to less. A call that would take
// the window past it goes alone: once every call let in before it is on
// the wire, and with none let in after it until it is. Callers that
// cannot go wait in turn.
type requestWindow struct {
	mu      sync.Mutex
	size    int64
	used    int64           // request bytes of calls let in and not answered
	unsent  int             // calls let in, sharing, not yet on the wire
	alone   bool            // a call let in alone is not yet on the wire
	waiting []*windowWaiter // in turn
}

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
	w.mu.Lock()
	if len(w.waiting) == 0 {
		if ok, alone := w.letInLocked(n); ok {
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
		w.used -= n
		w.sentLocked(wt.alone)
	} else {
		i := slices.Index(w.waiting, wt)
		w.waiting = slices.Delete(w.waiting, i, i+1)
	}
	w.admitLocked() // those behind it may go now
	w.mu.Unlock()
	return true, false, ctx.Err()
}

// letInLocked lets a call with n bytes in if it can go now, sharing or
// alone.
func (w *requestWindow) letInLocked(n int64) (ok, alone bool) {
	switch {
	case w.alone:
		return false, false
	case w.used+n <= w.size:
		w.used += n
		w.unsent++
		return true, false
	case w.unsent == 0 && w.used < w.size:
		w.used += n
		w.alone = true
		return true, true
	}
	return false, false
}

// sent records that a call let in (alone, or sharing) is on the wire, or
// never will be, and lets in the calls waiting that can go now.
func (w *requestWindow) sent(alone bool) {
	w.mu.Lock()
	w.sentLocked(alone)
	w.admitLocked()
	w.mu.Unlock()
}

func (w *requestWindow) sentLocked(alone bool) {
	if alone {
		w.alone = false
	} else {
		w.unsent--
	}
}

// give counts n request bytes out, of a call answered or given up with the
// connection, and lets in the calls waiting that can go now.
func (w *requestWindow) give(n int64) {
	w.mu.Lock()
	w.used -= n
	w.admitLocked()
	w.mu.Unlock()
}

func (w *requestWindow) admitLocked() {
	for len(w.waiting) > 0 {
		wt := w.waiting[0]
		ok, alone := w.letInLocked(wt.n)
		if !ok {
			return
		}
		w.waiting = slices.Delete(w.waiting, 0, 1)
		wt.granted, wt.alone = true, alone
		close(wt.ready)
	}
}
