package uactor

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callCtx is the context a handler runs with in the actor. It ends when the
// caller cancels the call, when the connection ends, when the call is over,
// or at the caller's deadline, and carries the caller's metadata.
// context.WithCancel (or WithDeadline) would cost two allocations per call,
// a lock on its parent (and a timer); a callCtx is taken from a block
// allocated per callCtxBlock calls, makes its Done channel only if someone
// asks, and arms a timer for its deadline only then: until, Err compares
// the deadline with the clock. It implements AfterFunc, so that contexts
// derived from it are cancelled through it without a goroutine each.
type callCtx struct {
	md       metadata  // the call's metadata, for Value; raw "": none
	deadline time.Time // zero: none
	leaving  bool      // its answer is on its way out (guarded by the serverConn's mu)

	mu     sync.Mutex
	done   chan struct{} // made on first use
	err    error
	timer  *time.Timer // fires at the deadline, once Done or AfterFunc armed it
	afters []*afterFunc
}

// callCtxBlock is how many callCtx are allocated at once.
const callCtxBlock = 64

// blockMetadata is the most metadata a callCtx in a block carries. A block
// stays reachable while any of its contexts is, and the reader's own block
// until its last context is handed out, so the finished calls' metadata in
// it would be kept too: up to callCtxBlock times MaxMetadataSize a
// connection, outside ConnBuffer. A call with more gets a callCtx of its
// own; its metadata already costs an allocation.
const blockMetadata = 256

// callCtxs hands out callCtx values from blocks; it is used by one
// goroutine at a time (the connection's reader).
type callCtxs struct{ free []callCtx }

// next returns a fresh callCtx for a call whose deadline and metadata cc
// holds.
func (cs *callCtxs) next(cc callContext) *callCtx {
	if len(cc.md) > blockMetadata {
		return &callCtx{deadline: cc.deadline, md: metadata{raw: string(cc.md)}}
	}
	if len(cs.free) == 0 {
		cs.free = make([]callCtx, callCtxBlock)
	}
	c := &cs.free[0]
	cs.free = cs.free[1:]
	c.deadline = cc.deadline
	if len(cc.md) > 0 {
		c.md.raw = string(cc.md) // the frame's bytes go back to their pool
	}
	return c
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, !c.deadline.IsZero() }

// Value holds only the metadata: the handler's context derives from no
// other. A pointer into the block costs no allocation.
func (c *callCtx) Value(key any) any {
	if key == (metadataKey{}) && c.md.raw != "" {
		return &c.md
	}
	return nil
}

func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.err != nil {
			return closedChan
		}
		c.done = make(chan struct{})
		c.armLocked()
	}
	return c.done
}

func (c *callCtx) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err == nil && !c.deadline.IsZero() && !time.Now().Before(c.deadline) {
		c.cancel(context.DeadlineExceeded)
		c.mu.Lock()
		err = c.err
		c.mu.Unlock()
	}
	return err
}

// armLocked starts the deadline's timer, if there is a deadline and no
// timer yet; c.mu is held.
func (c *callCtx) armLocked() {
	if c.deadline.IsZero() || c.timer != nil || c.err != nil {
		return
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.cancel(context.DeadlineExceeded) })
}

// cancel ends the context with err, once.
func (c *callCtx) cancel(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	afters := c.afters
	c.afters = nil
	c.mu.Unlock()
	for _, a := range afters {
		if a.state.CompareAndSwap(0, 1) {
			go a.f()
		}
	}
}

// cancelled ends c for its caller's CANCEL: as its deadline's if that has
// passed or is at most cancelNearDeadline away, else as context.Canceled.
// A caller whose deadline passed sends a CANCEL as it gives up, and the
// actor's own copy of the deadline, set when the actor read the CALL, is
// later than the caller's by the CALL's transit and its wait to be read:
// the CANCEL often arrives first, and the handler must still learn that
// its deadline, not its caller, ended it.
func (c *callCtx) cancelled() {
	err := context.Canceled
	if !c.deadline.IsZero() && time.Until(c.deadline) <= cancelNearDeadline {
		err = context.DeadlineExceeded
	}
	c.cancel(err)
}

// cancelNearDeadline is how far ahead of a call's deadline a CANCEL still
// counts as the deadline's (cancelled): more than a CALL's transit and its
// wait for a busy reader usually take; a caller that cancels so close to
// its deadline is all but out of time anyway.
const cancelNearDeadline = 20 * time.Millisecond

// afterFunc is one function registered with AfterFunc.
type afterFunc struct {
	f     func()
	state atomic.Int32 // 0: waiting, 1: started, 2: stopped
	at    int          // its index in afters while it waits (guarded by the callCtx's mu)
}

// AfterFunc arranges for f to run in its own goroutine once c is done, as
// context.AfterFunc does; stop reports whether it stopped f from running.
func (c *callCtx) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		a.state.Store(1)
		go f()
	} else {
		a.at = len(c.afters)
		c.afters = append(c.afters, a)
		c.armLocked()
		c.mu.Unlock()
	}
	return func() bool {
		if !a.state.CompareAndSwap(0, 2) {
			return false
		}
		c.forget(a)
		return true
	}
}

// forget drops a stopped a from afters, as a cancelled child leaves its
// parent: a handler that derives and cancels many contexts (a timeout per
// step) must not keep them all until its call ends.
func (c *callCtx) forget(a *afterFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a.at >= len(c.afters) || c.afters[a.at] != a { // cancel took the list
		return
	}
	last := len(c.afters) - 1
	c.afters[a.at] = c.afters[last]
	c.afters[a.at].at = a.at
	c.afters[last] = nil
	c.afters = c.afters[:last]
}

var _ context.Context = (*callCtx)(nil)
