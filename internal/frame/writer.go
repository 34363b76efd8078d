package frame

import (
	"context"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

const (
	// directPayload is the payload size from which a plain frame is written
	// straight from the caller's slices (writev through net.Buffers) when the
	// Writer is idle, instead of being copied into the pending buffer.
	directPayload = 64 << 10

	// maxRetained is the largest buffer kept for reuse after a write, so that
	// one burst does not pin megabytes to an idle connection.
	maxRetained = 2 << 20
)

// Writer writes frames to a byte stream, typically a net.Conn, from many
// goroutines at once, and coalesces them into few write system calls.
//
// A goroutine that finds no write in progress becomes the flusher: it
// writes everything pending (its own frame and any that others append
// meanwhile) outside the lock, and loops until nothing is pending; once
// its own frame is out, of a batch of 64 KiB or more it writes only what
// the socket takes at once, and a goroutine of the Writer's the rest (see
// flushLocked). A
// goroutine that finds a write in progress appends its frame to the pending
// buffer and returns at once. So a lone caller costs exactly one write
// system call and no goroutine hop, and N concurrent callers cost far fewer
// than N. Two buffers are swapped between pending and being-written, so the
// steady state allocates nothing.
//
// WriteFrame waits for nothing but the write it performs as the flusher.
// There is no limit on what others may queue meanwhile: frames queued behind
// a stalled peer are held in memory until the write completes or fails, and
// callers bound that by bounding their outstanding calls, or by a queue
// bound at which WriteFrameNumbered waits (SetQueueBound).
//
// After a write error every later WriteFrame and Flush returns that error,
// wrapped; frames queued by other goroutines but not yet written are lost,
// and the connection should be closed (see OnFail). Which frames were lost
// whole, not one byte of them sent, Unwritten tells.
type Writer struct {
	w   io.Writer
	cw  ContextWriter // w, if it is one
	max int

	// entering counts goroutines inside WriteFrame that have not yet queued
	// their frame. A flusher that sees some yields once before it takes its
	// batch, so that they join it: with many concurrent callers this turns
	// most write system calls into appends, and a lone caller never waits.
	entering atomic.Int32

	// others, if set, says whether other goroutines are likely to write
	// soon (see SetOthers); set before the first WriteFrame.
	others func() bool

	// onFail, if set, is told of the write error that failed the Writer
	// (see OnFail); set before the first WriteFrame.
	onFail func(error)

	// threshold is the payload size from which frames are compressed; 0
	// means never. It is read before taking mu, since compressing happens
	// outside the lock.
	threshold atomic.Int64

	mu      sync.Mutex
	cond    sync.Cond // on mu; broadcast when a batch is written, for Flush
	waiters int       // goroutines in cond.Wait, so Broadcast is skipped when there are none
	s       sealer
	pending []byte // frames queued and not yet being written
	spare   []byte // the other buffer, empty, for reuse
	writing bool   // a flusher is active
	queued  uint64 // frames ever appended to pending: the last one's number
	written uint64 // frames known to be written
	reached uint64 // once failed: frames up to this number may have been written, in part or whole
	inWrite int    // bytes of the batch being written
	err     error  // sticky: a write error or sequence exhaustion
	failed  bool   // the underlying Write failed; nothing more will be written

	bound int           // see SetQueueBound; 0: none
	room  chan struct{} // closed, and cleared, when a batch is written: for roomLocked

	// Used only by the flusher.
	iov  [][]byte
	bufs net.Buffers
}

// NewWriter returns a Writer that writes to w and refuses bodies longer than
// maxSize bytes. A non-positive maxSize means DefaultMaxSize.
func NewWriter(w io.Writer, maxSize int) *Writer {
	fw := &Writer{w: w, max: int(clampMax(maxSize))}
	fw.cw, _ = w.(ContextWriter)
	fw.cond.L = &fw.mu
	return fw
}

// SetAEAD makes every frame queued after it be sealed with a, as described
// in the package documentation. Frames queued before it are still sent
// plain, in order. It panics if a is nil or its nonce is not 12 bytes, since
// either is a programming error.
func (w *Writer) SetAEAD(a cipher.AEAD) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.s.set(a)
}

// LimitSize lowers the largest body the Writer writes to maxSize, if that
// is below its own maximum: the peer's reader may refuse less than this end
// would. It is called once, before the first WriteFrame.
func (w *Writer) LimitSize(maxSize int) {
	if maxSize > 0 && maxSize < w.max {
		w.max = maxSize
	}
}

// SetOthers gives the Writer a hint: others reports whether goroutines
// other than the caller are likely to write a frame soon (callers of the
// same connection with calls in flight, say). A goroutine about to write
// then yields once first, so that goroutines that are runnable but not yet
// in WriteFrame (on one CPU, all of them) join its write. It is called
// once, before the first WriteFrame.
func (w *Writer) SetOthers(others func() bool) { w.others = others }

// OnFail has f called once, with the Writer's error, when a write fails:
// by the goroutine whose write failed, once the Writer no longer holds its
// lock. That goroutine may be none of the callers (see WriteFrameContext),
// and frames that others queued meanwhile are lost, although their
// WriteFrame returned nil: f is how the connection's owner learns that it
// must close the connection and fail what waits on those frames. It is
// called once, before the first WriteFrame.
func (w *Writer) OnFail(f func(error)) { w.onFail = f }

// SetCompression makes every frame whose payload is at least threshold bytes
// and that WriteFrame is called for from now on be compressed with zstd, if
// that makes it smaller; others go out plain. A threshold of zero or less
// turns compression off, which is the default. It is meant to be called once
// the handshake agreed on compression, and may be called at any time.
//
// Compression happens before sealing and, to keep it off the lock other
// writers wait on, before the frame is queued. The maximum size still
// applies to the uncompressed payload (see WriteFrame), since that is what
// the receiver bounds the decompressed payload by.
func (w *Writer) SetCompression(threshold int) {
	w.threshold.Store(int64(max(threshold, 0)))
}

// WriteFrame queues one frame, whose payload is the concatenation of parts,
// and writes it unless another goroutine is already writing and will pick it
// up. Taking the payload in parts lets callers pass, say, a method-name
// prefix and an encoded request without joining them. The parts may be
// reused as soon as WriteFrame returns.
//
// It returns an error wrapping ErrTooLarge if the body would exceed the
// maximum size were it sent uncompressed, ErrMalformed for an invalid header
// (including one that carries FlagCompressed: the Writer sets that flag
// itself, see SetCompression), and otherwise the first
// write error the Writer met. A nil result means the frame was written or
// queued; Flush reports whether queued frames reached the stream.
func (w *Writer) WriteFrame(h Header, parts ...[]byte) error {
	_, err := w.writeFrame(context.Background(), h, parts, howWrite)
	return err
}

// WriteFrameContext is WriteFrame for a caller that may give up: if it ends
// up writing, and ctx is done before the write completes, it returns without
// waiting for the rest, which the Writer finishes in a goroutine of its own
// (see ContextWriter). The frame still goes out whole, or the Writer fails;
// what is left of the caller's parts is copied before the hand-over, so
// they are still free to reuse on return. Its results are WriteFrame's: a
// frame handed over counts as queued.
func (w *Writer) WriteFrameContext(ctx context.Context, h Header, parts ...[]byte) error {
	_, err := w.writeFrame(ctx, h, parts, howWrite)
	return err
}

// QueueFrame queues one frame as WriteFrame does, but never writes: the
// frame goes out with the next frame written, or on Kick. A goroutine that
// will queue more frames in a moment (answers to a burst of requests, say)
// queues all but the last, and so sends them with one write system call.
// It returns the errors WriteFrame does.
func (w *Writer) QueueFrame(h Header, parts ...[]byte) error {
	_, err := w.writeFrame(context.Background(), h, parts, howQueue)
	return err
}

// Kick writes the frames queued, unless a write is in progress (which will
// write them). It returns the first write error the Writer met. Frames
// queued before the sequence numbers ran out still go: they are sealed.
func (w *Writer) Kick() error { return w.KickContext(context.Background()) }

// KickContext is Kick for a caller that may give up: if ctx is done before
// the write completes, it returns and the Writer finishes the write in a
// goroutine of its own, as WriteFrameContext does.
func (w *Writer) KickContext(ctx context.Context) error {
	w.mu.Lock()
	if w.failed || w.writing || len(w.pending) == 0 {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.writing = true
	return w.flushLocked(ctx, nil, false, 0)
}

// CheckSize returns the error wrapping ErrTooLarge that WriteFrame would
// return for a payload of n bytes, or nil if it is within the maximum: a
// caller that must wait for something before it writes (its turn in a
// window, say) finds out first.
func (w *Writer) CheckSize(n int) error {
	if body := BodyHeaderSize + n + w.s.overhead(); n > w.max || body > w.max {
		return fmt.Errorf("%w: body of %d bytes exceeds maximum of %d", ErrTooLarge, body, w.max)
	}
	return nil
}

// how says how writeFrame takes a frame. By default its caller writes it if
// no write is in progress, and queues it otherwise; howQueue only queues it
// (QueueFrame); howBounded does as the default once there is room below the
// queue bound (WriteFrameNumbered, see SetQueueBound); howTry does so if
// there is room now, and refuses the frame otherwise
// (TryWriteFrameNumbered).
type how uint8

const (
	howWrite how = iota
	howQueue
	howBounded
	howTry
)

func (w *Writer) writeFrame(ctx context.Context, h Header, parts [][]byte, mode how) (uint64, error) {
	if err := h.check(); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	sent := n // the payload actually sent
	if t := w.threshold.Load(); t > 0 && int64(n) >= t && n <= w.max-BodyHeaderSize {
		// Compressed into our own buffer, so the caller's parts are free
		// once WriteFrame returns whatever happens next.
		if z := compress(parts, n); z != nil {
			defer z.Release() // after the frame is copied or written
			h.Flags |= FlagCompressed
			parts, sent = [][]byte{z.B}, len(z.B)
		}
	}
	w.entering.Add(1)
	w.mu.Lock()
	w.entering.Add(-1)
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return 0, unwritten{err}
	}
	if err := w.CheckSize(n); err != nil {
		w.mu.Unlock()
		return 0, err
	}
	if mode == howTry && w.fullLocked() {
		w.mu.Unlock()
		return 0, ErrNoRoom
	}
	if mode == howBounded && w.writing && w.bound > 0 { // no write in progress: no wait
		if err := w.roomLocked(ctx); err != nil {
			w.mu.Unlock()
			return 0, err
		}
	}
	body := BodyHeaderSize + sent + w.s.overhead()
	// Sealing needs a copy anyway, and a busy Writer must not hold on to the
	// caller's slices after returning; otherwise a big payload goes out as is.
	direct := !w.writing && mode != howQueue && w.s.aead == nil && sent >= directPayload
	if err := w.appendLocked(h, body, parts, direct); err != nil {
		w.err = err
		w.mu.Unlock()
		return 0, unwritten{err}
	}
	w.queued++
	own := w.queued
	if w.writing || mode == howQueue {
		w.mu.Unlock()
		return own, nil
	}
	w.writing = true
	if !direct {
		parts = nil
	}
	return own, w.flushLocked(ctx, parts, false, own)
}

// appendLocked encodes a frame onto w.pending, sealing it if an AEAD is set.
// With headerOnly it appends only the 16-byte plain header; the caller then
// writes the payload itself. Sealing happens here, under the lock, so that
// sequence numbers follow the order of frames in the stream.
func (w *Writer) appendLocked(h Header, body int, parts [][]byte, headerOnly bool) error {
	var nonce []byte
	if w.s.aead != nil {
		var err error
		if nonce, err = w.s.next(); err != nil {
			return err
		}
	}
	size := 4 + body
	if headerOnly {
		size = HeaderSize
	}
	start := len(w.pending)
	buf := slices.Grow(w.pending, size)[:start+size]
	binary.BigEndian.PutUint32(buf[start:], uint32(body))
	putBodyHeader(buf[start+4:], h)
	if !headerOnly {
		off := start + HeaderSize
		for _, p := range parts {
			off += copy(buf[off:], p)
		}
		if nonce != nil {
			// In place: the ciphertext overwrites the plaintext and the
			// tag fills the room reserved by size.
			w.s.aead.Seal(buf[start+4:start+4], nonce, buf[start+4:off], buf[start:start+4])
		}
	}
	w.pending = buf
	return nil
}

// NoWait is a context that is done already: a write under it
// (WriteFrameContext, KickContext) takes what the socket takes at once and
// hands the rest to the Writer's own goroutine, so the caller never waits
// on the peer.
var NoWait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// flushLocked is the flusher's loop. It is entered with mu held and
// w.writing set, and returns with mu released. extra, if any, is written
// right after the first batch: the payload of a direct frame. If ctx is done
// before a batch is written, the rest is handed to a goroutine (handOff).
// Unless keep is set, the first batch (which holds the caller's own frame)
// is the only large one it waits to write: of a later batch of
// directPayload bytes or more, which others queued meanwhile and went on
// from, it writes what the socket takes at once and hands the rest to a
// goroutine too, so that a small call is not held by another's bulk
// transfer. own is the number of the caller's frame (0: it has none): if
// the Writer fails before writing any of it, the error says so
// (ErrUnwritten).
func (w *Writer) flushLocked(ctx context.Context, extra [][]byte, keep bool, own uint64) error {
	for first := true; ; first = false {
		leave := !first && !keep && len(w.pending) >= directPayload
		if leave {
			ctx = NoWait
		}
		if extra == nil && (w.entering.Load() > 0 || (w.others != nil && w.others())) {
			w.mu.Unlock()
			runtime.Gosched() // let the goroutines on their way queue their frames
			w.mu.Lock()
		}
		buf := w.pending
		w.pending, w.spare = w.spare[:0], nil
		batch := w.queued
		w.inWrite = len(buf)
		for _, p := range extra {
			w.inWrite += len(p)
		}
		w.mu.Unlock()

		if leave && w.cw == nil { // it cannot write without waiting: all of it goes
			w.handOff(buf, nil, 0, batch)
			return nil
		}
		n, err := w.write(ctx, buf, extra)
		if err != nil && cutShort(ctx, err) {
			w.handOff(buf, extra, n, batch)
			return nil
		}
		extra = nil

		w.mu.Lock()
		if done, err := w.wroteLocked(buf, batch, n, err); done {
			lost := err != nil && own > w.reached
			w.mu.Unlock()
			w.tell(err)
			if lost {
				return unwritten{err}
			}
			return err
		}
	}
}

// tell passes err, from wroteLocked, to OnFail's function: a write failed
// the Writer. It happens once, since no write starts after that.
func (w *Writer) tell(err error) {
	if err != nil && w.onFail != nil {
		w.onFail(err)
	}
}

// wroteLocked records the outcome of writing buf, the batch of frames up to
// number batch, of which n bytes went out, and reports whether the flusher
// is done: the write failed or nothing more is pending. If so, err is what
// the flusher returns.
func (w *Writer) wroteLocked(buf []byte, batch uint64, n int64, werr error) (done bool, err error) {
	w.inWrite = 0
	if cap(buf) <= maxRetained {
		w.spare = buf[:0]
	}
	if werr != nil {
		w.err = fmt.Errorf("frame: write failed: %w", werr)
		w.failed = true
		w.pending = w.pending[:0]
		w.reached = batch - unstarted(buf, n)
	} else {
		w.written = batch
	}
	w.broadcastLocked()
	if werr == nil && len(w.pending) > 0 {
		return false, nil
	}
	w.writing = false
	if w.failed {
		return true, w.err
	}
	return true, nil // sequence exhaustion by another caller is theirs to report
}

// BuffersWriter is a Writer's destination that wraps a connection and can
// still hand several slices to the system in one call, as net.Buffers'
// WriteTo does only for the net package's own connections (writev). A
// direct frame goes out through it, header and payload in one write: in
// two, the first would wake the reader for 16 bytes.
type BuffersWriter interface {
	WriteBuffers(v *net.Buffers) (int64, error)
}

// write sends one batch, followed by extra without copying it, and returns
// how many bytes of them went out. With a ctx that can be done it writes
// through the destination's ContextWriter methods, if it has them.
func (w *Writer) write(ctx context.Context, buf []byte, extra [][]byte) (int64, error) {
	cw := w.cw
	if cw != nil && ctx.Done() == nil {
		cw = nil // never done: the plain write is the same, and cheaper
	}
	if len(extra) == 0 {
		var n int
		var err error
		if cw != nil {
			n, err = cw.WriteContext(ctx, buf)
		} else {
			n, err = w.w.Write(buf)
		}
		return int64(n), err
	}
	w.iov = append(w.iov[:0], buf)
	for _, p := range extra {
		if len(p) > 0 {
			w.iov = append(w.iov, p)
		}
	}
	w.bufs = w.iov
	var n int64
	var err error
	if cw != nil {
		n, err = cw.WriteBuffersContext(ctx, &w.bufs)
	} else if bw, ok := w.w.(BuffersWriter); ok {
		n, err = bw.WriteBuffers(&w.bufs)
	} else {
		n, err = w.bufs.WriteTo(w.w)
	}
	clear(w.iov) // do not keep the caller's payload alive
	w.bufs = nil
	return n, err
}

// Flush blocks until every frame queued before the call has been written,
// and returns the Writer's error if there is one.
func (w *Writer) Flush() error {
	w.mu.Lock()
	if !w.failed && !w.writing && len(w.pending) > 0 { // queued by QueueFrame
		w.writing = true
		w.flushLocked(context.Background(), nil, true, 0)
		w.mu.Lock()
	}
	defer w.mu.Unlock()
	target := w.queued
	for w.written < target && !w.failed {
		w.wait()
	}
	return w.err
}

// Buffered returns how many bytes are queued or being written: what a peer
// that stopped reading makes this end hold.
func (w *Writer) Buffered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) + w.inWrite
}

// WaitBelow blocks until fewer than n bytes are queued or being written, or
// the Writer has failed (whose error it then returns). Callers that bound
// what they queue call it before WriteFrame.
func (w *Writer) WaitBelow(n int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.pending)+w.inWrite >= n && !w.failed {
		w.wait()
	}
	if w.failed {
		return w.err
	}
	return nil
}

func (w *Writer) wait() {
	w.waiters++
	w.cond.Wait()
	w.waiters--
}

// broadcastLocked wakes whoever waits for a batch to be written: Flush and
// WaitBelow on cond, a bounded write at the queue bound on room.
func (w *Writer) broadcastLocked() {
	if w.waiters > 0 {
		w.cond.Broadcast()
	}
	if w.room != nil {
		close(w.room)
		w.room = nil
	}
}
