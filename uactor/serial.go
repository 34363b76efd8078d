package uactor

import (
	"context"
	"slices"
	"sync"
)

// serialQueue runs a Serial actor's calls one at a time, in the order its
// connections' readers dispatched them: their arrival order. A mutex would
// not do: a call that comes later can take it from those waiting, and
// calls handed to workers reach it in any order.
type serialQueue struct {
	mu      sync.Mutex
	running *serialTurn   // the call whose turn it is, if any
	waiting []*serialTurn // first come first
}

// serialTurn is one call's place in the queue; ch is closed when its turn
// comes.
type serialTurn struct{ ch chan struct{} }

// take gives a call that has just arrived its place in the queue.
func (q *serialQueue) take() *serialTurn {
	t := &serialTurn{ch: make(chan struct{})}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running == nil {
		q.running = t
		close(t.ch)
	} else {
		q.waiting = append(q.waiting, t)
	}
	return t
}

// wait waits for t's turn. If ctx ends first, it gives t's place up and
// reports false: a call whose caller is gone need not wait for those ahead.
func (q *serialQueue) wait(ctx context.Context, t *serialTurn) bool {
	select {
	case <-t.ch:
		return true
	case <-ctx.Done():
		q.leave(t)
		return false
	}
}

// leave gives up t's place, or its turn, which passes to the call after
// it. A nil t (a call of an actor that is not Serial) has neither.
func (q *serialQueue) leave(t *serialTurn) {
	if t == nil {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running != t {
		for i, w := range q.waiting {
			if w == t {
				q.waiting = slices.Delete(q.waiting, i, i+1)
				return
			}
		}
		return
	}
	q.running = nil
	if len(q.waiting) > 0 {
		q.running = q.waiting[0]
		q.waiting[0] = nil
		q.waiting = q.waiting[1:]
		close(q.running.ch)
	}
}
