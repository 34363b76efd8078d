package uactor

import (
	"sync"

	"github.com/uactor-go/uactor/internal/frame"
)

// lentHold keeps a Lent request's array from reuse while anything may
// still read it, for a call that a server interceptor runs: the call's own
// path until its answer is out, and each run of the handler, which an
// interceptor may start in a goroutine and answer without waiting for (one
// that times calls out does). The last to let go gives the array back.
// Calls with no interceptor need none: their handler has returned when
// their answer goes out.
type lentHold struct {
	c    *serverConn
	buf  *frame.Buffer
	held int // request bytes counted in ConnBuffer until then

	mu     sync.Mutex
	refs   int  // holders; 0 once the array is given back
	goexit bool // the call's goroutine ended: give the array back unrecycled (goexited)
}

// newLentHold holds buf, whose held request bytes c counts, for the call's
// own path.
func newLentHold(c *serverConn, buf *frame.Buffer, held int) *lentHold {
	return &lentHold{c: c, buf: buf, held: held, refs: 1}
}

// take holds the array for a run of the handler, and reports whether it
// could: not once it was given back, when it may hold another call's
// request already.
func (h *lentHold) take() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refs == 0 {
		return false
	}
	h.refs++
	return true
}

// drop lets go of one hold; the last gives the array back.
func (h *lentHold) drop() {
	h.mu.Lock()
	h.refs--
	last, goexit := h.refs == 0, h.goexit
	h.mu.Unlock()
	if !last {
		return
	}
	if goexit {
		h.buf.Release()
	} else {
		h.buf.Recycle()
	}
	h.c.release(h.held)
}

// dropExited is drop for the call's own path when its goroutine ended
// (goexited).
func (h *lentHold) dropExited() {
	h.mu.Lock()
	h.goexit = true
	h.mu.Unlock()
	h.drop()
}
