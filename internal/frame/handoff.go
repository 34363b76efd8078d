package frame

import (
	"context"
	"errors"
	"net"
)

// ContextWriter is a Writer's destination whose blocked write can be cut
// short by its caller's context (WriteFrameContext): a connection whose
// peer stops reading would otherwise hold a caller that gave up for as long
// as the write's own timeout.
//
// Each method writes as Write or BuffersWriter's WriteBuffers does, but may
// return early once ctx is done, with how many bytes were written and an
// error that wraps ctx's error. The stream is then left mid-frame, and the
// Writer writes the rest.
type ContextWriter interface {
	WriteContext(ctx context.Context, b []byte) (int, error)
	WriteBuffersContext(ctx context.Context, v *net.Buffers) (int64, error)
}

// cutShort reports whether err is a write returning early because ctx is
// done, rather than failing.
func cutShort(ctx context.Context, err error) bool {
	cerr := ctx.Err()
	return cerr != nil && errors.Is(err, cerr)
}

// handOff is flushLocked's way out for a caller that gave up mid-write, or
// that leaves others' bulk batch (see flushLocked): of buf followed by
// extra, n bytes went out. The rest of extra is the caller's
// and is copied; buf is the Writer's own. A goroutine writes the rest, with
// no context (a frame cannot be abandoned halfway), and then carries on as
// the flusher: w.writing stays set throughout, so what others queue
// meanwhile waits behind it, in order.
func (w *Writer) handOff(buf []byte, extra [][]byte, n int64, batch uint64) {
	var rest []byte // the unsent part of buf, or nil
	if n < int64(len(buf)) {
		rest, n = buf[n:], 0
	} else {
		n -= int64(len(buf))
	}
	var tail []byte // the unsent part of extra, copied
	for _, p := range extra {
		if n >= int64(len(p)) {
			n -= int64(len(p))
			continue
		}
		tail = append(tail, p[n:]...)
		n = 0
	}
	go w.finish(buf, rest, tail, batch)
}

// finish writes what handOff left, then flushes whatever was queued since.
func (w *Writer) finish(buf, rest, tail []byte, batch uint64) {
	var err error
	n := int64(len(buf) - len(rest)) // bytes of buf that went out before
	var more int64
	switch {
	case len(tail) == 0 && len(rest) == 0: // all went out as the caller gave up
	case len(tail) == 0:
		more, err = w.write(context.Background(), rest, nil)
	default:
		more, err = w.write(context.Background(), rest, [][]byte{tail})
	}
	w.mu.Lock()
	if done, err := w.wroteLocked(buf, batch, n+more, err); done {
		w.mu.Unlock()
		w.tell(err) // no caller waits for this write to hear of it
		return
	}
	w.flushLocked(context.Background(), nil, true, 0)
}
