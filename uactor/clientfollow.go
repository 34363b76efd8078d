package uactor

import (
	"context"
	"sync"
)

// What follow saw.
const (
	followAnswered = iota // cl is answered; c.mu is not held
	followAgain           // cl was handed the read role, or woken to look again
	followGaveUp          // ctx is done
)

// follow waits, with c.mu held, while somebody else holds the read role:
// until cl is answered (it returns without the lock, as nothing else
// touches cl then: deliver or close answered it before the send, and took
// it out of the pending table and the watch), handed the read role or woken
// to look again, or until ctx is done.
//
// Callers often share one context, and a select on its channel takes that
// channel's lock as each of them waits and wakes: they all contend for it.
// So a caller whose context the connection's watch keeps an eye on waits on
// its own channel alone, and the watch wakes it if the context ends.
func (c *clientConn) follow(ctx context.Context, cl *call) int {
	d := ctx.Done()
	if d != nil && c.followers.take(ctx, c.intr.done, &c.mu) {
		select {
		case <-d:
			return followGaveUp
		default:
		}
		c.followers.add(cl)
		c.mu.Unlock()
		if <-cl.done {
			cl.signaled, cl.waiting = false, false
			return followAnswered
		}
		c.mu.Lock()
		cl.signaled = false
		c.followers.remove(cl)
		if ctx.Err() != nil {
			return followGaveUp
		}
		return followAgain
	}
	c.mu.Unlock()
	select {
	case answered := <-cl.done:
		if answered {
			cl.signaled, cl.waiting = false, false
			return followAnswered
		}
		c.mu.Lock()
		cl.signaled = false
		return followAgain
	case <-d:
		c.mu.Lock()
		return followGaveUp
	}
}

// ctxWatch wakes the callers waiting on it when the context it watches
// ends. It watches one context at a time, and moves to another only while
// nobody waits on it: one that the reader has too, as a context that
// callers share is likely to be. A context of each call's own never comes
// to it, so such calls pay nothing for it. All but its AfterFunc run with
// clientConn.mu held.
type ctxWatch struct {
	done    <-chan struct{} // the context's
	stop    func() bool
	waiters []*call // each at its watchAt-1
}

// take reports whether a caller with ctx may wait on the watch, moving it
// to ctx if it is free and ctx's channel is reading, the reader's; mu is
// what the watch's AfterFunc takes.
func (w *ctxWatch) take(ctx context.Context, reading <-chan struct{}, mu *sync.Mutex) bool {
	d := ctx.Done()
	if d == w.done {
		return true
	}
	if len(w.waiters) > 0 || d != reading {
		return false
	}
	w.disarm()
	w.done = d
	w.stop = context.AfterFunc(ctx, func() {
		mu.Lock()
		if w.done == d {
			w.wake()
		}
		mu.Unlock()
	})
	return true
}

// disarm stops watching, and forgets the waiters without waking them: the
// connection's close answers them.
func (w *ctxWatch) disarm() {
	if w.stop != nil {
		w.stop()
	}
	w.done, w.stop = nil, nil
	w.forget()
}

// forget forgets every waiter.
func (w *ctxWatch) forget() {
	for _, cl := range w.waiters {
		cl.watchAt = 0
	}
	clear(w.waiters)
	w.waiters = w.waiters[:0]
}

// add has cl woken when the context ends.
func (w *ctxWatch) add(cl *call) {
	w.waiters = append(w.waiters, cl)
	cl.watchAt = len(w.waiters)
}

// remove forgets cl, if it waits.
func (w *ctxWatch) remove(cl *call) {
	i := cl.watchAt - 1
	if i < 0 {
		return
	}
	last := len(w.waiters) - 1
	w.waiters[i] = w.waiters[last]
	w.waiters[i].watchAt = i + 1
	w.waiters[last] = nil
	w.waiters = w.waiters[:last]
	cl.watchAt = 0
}

// wake wakes every waiter, to look again, and forgets them.
func (w *ctxWatch) wake() {
	for _, cl := range w.waiters {
		if !cl.signaled {
			cl.signaled = true
			cl.done <- false
		}
	}
	w.forget()
}
