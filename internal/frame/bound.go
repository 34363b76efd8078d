package frame

import (
	"context"
	"fmt"
)

// SetQueueBound makes WriteFrameNumbered wait, while a write is in progress
// and n bytes or more are queued or being written, until fewer are, the
// Writer fails, or its context is done (ErrQueueFull). Without it, what
// callers queue behind a peer that reads slowly is bounded only by how many
// of them there are, and each waits on the Writer's lock while the others
// copy their frames into an ever larger buffer, past any deadline of its
// own. One frame may overshoot the bound, so it is never smaller in effect
// than the largest frame. Other methods never wait at the bound: a frame
// that must go (a cancel, a ping's answer) is not held behind requests. A
// non-positive n means no bound, the default; it is set before the first
// WriteFrame.
func (w *Writer) SetQueueBound(n int) { w.bound = max(n, 0) }

// roomLocked waits, with w.mu held (and released while it waits), for room
// below the queue bound, as SetQueueBound describes. It returns the Writer's
// error if it has failed; then, or if ctx is done first, nothing of the
// caller's frame is queued.
func (w *Writer) roomLocked(ctx context.Context) error {
	for w.bound > 0 && w.writing && len(w.pending)+w.inWrite >= w.bound && w.err == nil {
		if w.room == nil {
			w.room = make(chan struct{})
		}
		room := w.room
		w.mu.Unlock()
		select {
		case <-room:
			w.mu.Lock()
		case <-ctx.Done():
			w.mu.Lock()
			return fmt.Errorf("%w: %w", ErrQueueFull, ctx.Err())
		}
	}
	if w.err != nil {
		return unwritten{w.err}
	}
	return nil
}
