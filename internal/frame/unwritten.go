package frame

import (
	"context"
	"encoding/binary"
)

// WriteFrameNumbered is WriteFrameContext that also returns the frame's
// number: frames are numbered from 1 in the order they go out, and a frame
// that was refused gets 0. A caller whose frame was only queued, and who
// later learns that the Writer failed, asks Unwritten with it whether any
// of the frame left. Unlike the other methods, it first waits for room
// below the queue bound, if the Writer has one (see SetQueueBound).
func (w *Writer) WriteFrameNumbered(ctx context.Context, h Header, parts ...[]byte) (uint64, error) {
	return w.writeFrame(ctx, h, parts, howBounded)
}

// Unwritten reports whether the Writer has failed before writing a byte of
// frame number n (see WriteFrameNumbered), so that none of it ever reaches
// the stream: the peer cannot have read it. It reports false for a frame
// that went out, in whole or in part, and for one that may still go. A
// caller that learned of a failure from elsewhere (the connection closed
// under a queued frame) calls Flush first, which returns once the frames
// queued before it are written or the Writer has failed: until then, the
// frame's fate may be undecided.
func (w *Writer) Unwritten(n uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed && n > w.reached
}

// unstarted counts the frames in buf, a batch as queued, that begin at or
// after byte n: none of them went out. Only a batch's last frame may be
// there in part (a direct frame's header, whose payload follows it), so a
// frame's length prefix leads to the next one's start.
func unstarted(buf []byte, n int64) uint64 {
	var k uint64
	for off := 0; off+4 <= len(buf); off += 4 + int(binary.BigEndian.Uint32(buf[off:])) {
		if int64(off) >= n {
			k++
		}
	}
	return k
}
