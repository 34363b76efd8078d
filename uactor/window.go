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
// it never holds more than its caller has outstanding: a caller that sends
// a CALL only while its outstanding bytes are under the window never sends
// one that the actor leaves unread. Callers that find the window full wait
// in turn.
type requestWindow struct {
	mu      sync.Mutex
	size    int64
	used    int64           // request bytes of calls sent and not answered
	waiting []*windowWaiter // in turn
}

// windowWaiter is a call waiting for room in the window.
type windowWaiter struct {
	n       int64
	ready   chan struct{} // closed once it is let in
	granted bool          // under requestWindow.mu
}

func newRequestWindow(size uint32) *requestWindow {
	return &requestWindow{size: int64(size)}
}

// take counts n request bytes in once the bytes outstanding are under the
// window and no call waits before this one, or fails with ctx's error if
// ctx is done first. It reports whether it had to wait.
func (w *requestWindow) take(ctx context.Context, n int64) (waited bool, err error) {
	w.mu.Lock()
	if w.used < w.size && len(w.waiting) == 0 {
		w.used += n
		w.mu.Unlock()
		return false, nil
	}
	wt := &windowWaiter{n: n, ready: make(chan struct{})}
	w.waiting = append(w.waiting, wt)
	w.mu.Unlock()
	select {
	case <-wt.ready:
		return true, nil
	case <-ctx.Done():
	}
	w.mu.Lock()
	if wt.granted { // let in as ctx ended: give the bytes back
		w.used -= n
	} else {
		i := slices.Index(w.waiting, wt)
		w.waiting = slices.Delete(w.waiting, i, i+1)
	}
	w.admitLocked() // those behind it may fit now
	w.mu.Unlock()
	return true, ctx.Err()
}

// give counts n request bytes out, of a call answered or given up with the
// connection, and lets in the calls waiting that now fit.
func (w *requestWindow) give(n int64) {
	w.mu.Lock()
	w.used -= n
	w.admitLocked()
	w.mu.Unlock()
}

func (w *requestWindow) admitLocked() {
	for len(w.waiting) > 0 && w.used < w.size {
		wt := w.waiting[0]
		w.waiting = slices.Delete(w.waiting, 0, 1)
		w.used += wt.n
		wt.granted = true
		close(wt.ready)
	}
}
