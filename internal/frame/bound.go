package frame

import (
	"context"
	"errors"
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
	for w.fullLocked() {
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

// fullLocked reports, with w.mu held, whether a frame written now would wait
// for room below the queue bound.
func (w *Writer) fullLocked() bool {
	return w.bound > 0 && w.writing && len(w.pending)+w.inWrite >= w.bound && w.err == nil
}

// ErrNoRoom is TryWriteFrameNumbered's error for a frame that would have had
// to wait for room below the queue bound: nothing of it is queued.
var ErrNoRoom = errors.New("frame: no room below the queue bound")

// TryWriteFrameNumbered is WriteFrameNumbered, except that where that would
// wait for room below the queue bound it returns ErrNoRoom at once, with
// nothing of the frame queued: for a caller whose frame says something that
// a wait makes untrue (the time its call has left), which waits with
// WaitRoom and makes the frame again.
func (w *Writer) TryWriteFrameNumbered(ctx context.Context, h Header, parts ...[]byte) (uint64, error) {
	return w.writeFrame(ctx, h, parts, howTry)
}

// WaitRoom waits, as WriteFrameNumbered would, for room below the queue
// bound. It returns ErrQueueFull if ctx is done first, and the Writer's
// error if it failed. Others may take the room before the caller writes.
func (w *Writer) WaitRoom(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.roomLocked(ctx)
}
