package uactor

import (
	"sync"

	"github.com/uactor-go/uactor/internal/frame"
)

// callHold keeps what a call that a server interceptor runs holds until
// nothing of it runs any more: the call's own path, and each run of the
// handler, which an interceptor may start in a goroutine and answer
// without waiting for (one that times calls out does). Such a handler
// runs on after the answer, on the actor, so until it returns:
//   - a Serial actor's turn stays the call's (from when invoke returns):
//     the next call does not run beside it;
//   - the call counts in s.calls (from when run ends): a graceful stop
//     waits for it within the grace period;
//   - a Lent request's array is kept from reuse (from when run ends), the
//     last to let go giving it back.
//
// Calls with no interceptor need none: their handler has returned when
// invoke does. Holds are pooled, so that an intercepted call allocates no
// more for its hold; a run started once its call let go, by a handle kept
// past it, holds nothing: its ticket is out of date.
type callHold struct {
	c    *serverConn
	turn *serialTurn   // the Serial turn while the call holds it; nil otherwise
	buf  *frame.Buffer // a Lent request's, once run lends it; nil otherwise
	held int           // buf's request bytes, counted in ConnBuffer until then

	mu       sync.Mutex
	gen      uint64 // which call holds it: one more each time it is let go
	runs     int    // runs of the handler under way
	invoking bool   // invoke has not returned
	open     bool   // run has not ended
	lent     bool   // buf was lent, and is given back once the call lets go
	goexit   bool   // the call's goroutine ended: give buf back unrecycled (goexited)
}

var callHolds = sync.Pool{New: func() any { return new(callHold) }}

// newCallHold holds c's call, with its Serial turn (nil: none), for the
// call's own path.
func newCallHold(c *serverConn, turn *serialTurn) *callHold {
	h := callHolds.Get().(*callHold)
	h.mu.Lock() // orders this call's fields after a stale take's look at gen
	h.c, h.turn, h.invoking, h.open = c, turn, true, true
	h.mu.Unlock()
	return h
}

// ticket names the call that holds h, for take; while invoke runs.
func (h *callHold) ticket() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gen
}

// lend has the call hold buf, a Lent request whose held request bytes c
// counts, until it lets go; before invoke.
func (h *callHold) lend(buf *frame.Buffer, held int) {
	h.mu.Lock()
	h.buf, h.held, h.lent = buf, held, true
	h.mu.Unlock()
}

// take holds the call that ticket names for a run of the handler, and
// reports whether it could: not once the call has let go, when the server
// counts it done and a Lent request's array may hold another call's
// request already.
func (h *callHold) take(ticket uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gen != ticket || !h.open && h.runs == 0 {
		return false
	}
	h.runs++
	return true
}

// drop ends a run of the handler.
func (h *callHold) drop() {
	h.mu.Lock()
	h.runs--
	h.letGoLocked()
}

// invoked says that invoke has returned (or its goroutine ended).
func (h *callHold) invoked() {
	h.mu.Lock()
	h.invoking = false
	h.letGoLocked()
}

// end says that run has ended, its answer out and its slot free.
func (h *callHold) end() {
	h.mu.Lock()
	h.open = false
	h.letGoLocked()
}

// goexited says that the call's goroutine ended (goexited): a Lent
// request goes back unrecycled, as its handler's frames went unfinished.
func (h *callHold) goexited() {
	h.mu.Lock()
	h.goexit = true
	h.mu.Unlock()
}

// letGoLocked lets go of what no run and no part of the call's own path
// holds any more, and unlocks h.mu. Once the call has let go of
// everything, take fails, so that happens once.
func (h *callHold) letGoLocked() {
	if h.runs > 0 {
		h.mu.Unlock()
		return
	}
	var turn *serialTurn
	if !h.invoking || !h.open {
		turn, h.turn = h.turn, nil
	}
	c, last := h.c, !h.open
	buf, held, lent, goexit := h.buf, h.held, h.lent, h.goexit
	if last { // nothing holds the call any more, and take fails from here on
		h.gen++
		h.c, h.buf, h.held, h.lent, h.goexit = nil, nil, 0, false, false
	}
	h.mu.Unlock()
	c.s.serial.leave(turn) // nil: none, or given up already
	if !last {
		return
	}
	callHolds.Put(h)
	if lent {
		if goexit {
			buf.Release()
		} else {
			buf.Recycle()
		}
		c.release(held)
	}
	c.s.calls.Done()
}
