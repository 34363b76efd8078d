package frame

import (
	"bufio"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// readBufferSize is the Reader's buffer: big enough that a burst of small
// frames is parsed from a single read system call.
const readBufferSize = 32 << 10

// Reader reads frames from a byte stream, typically a net.Conn. It buffers
// its input, so a small frame costs at most one read system call and several
// frames that arrive together are parsed from one read.
//
// A Reader is not safe for concurrent use: one goroutine at a time reads a
// connection, though which one may change between calls. After any error but
// a timeout the stream position is unknown, so the Reader stays broken and
// returns the same error from every later ReadFrame. A timeout (a read
// deadline that passed) loses nothing: the Reader keeps what it has read of
// the frame, and the next ReadFrame goes on from there. That lets a
// goroutine stop reading on a deadline and another carry on.
type Reader struct {
	br  *bufio.Reader
	max uint32
	s   sealer
	err error
	hdr [HeaderSize]byte // scratch for the plain header, kept here to avoid allocating

	// A frame whose body is partly read when a read times out: ReadFrame
	// goes on with it next time. body is nil between frames.
	length int     // the frame's length prefix
	body   *Buffer // the body so far
	got    int     // bytes of it read

	// The body's charge to the budget for bodies allocated ahead of their
	// bytes (see aheadBudget): charging says there is one, charged holds
	// it (nil until the Reader's first).
	charging bool
	charged  *aheadCharge

	decompress bool         // FlagCompressed is accepted
	decoders   *decoderPool // for r.max; set with decompress
}

// NewReader returns a Reader that reads from r and rejects bodies longer
// than maxSize bytes. A non-positive maxSize means DefaultMaxSize.
func NewReader(r io.Reader, maxSize int) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, readBufferSize), max: clampMax(maxSize)}
}

// clampMax turns a caller's maximum into one the 32-bit length prefix can
// express.
func clampMax(maxSize int) uint32 {
	if maxSize <= 0 {
		return DefaultMaxSize
	}
	if uint64(maxSize) > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(maxSize)
}

// SetAEAD makes every following frame be opened with a, as described in the
// package documentation. It is called once the handshake has produced keys,
// between two ReadFrame calls. It panics if a is nil or its nonce is not 12
// bytes, since either is a programming error.
func (r *Reader) SetAEAD(a cipher.AEAD) { r.s.set(a) }

// SetDecompression says whether frames carrying FlagCompressed are accepted,
// as agreed in the handshake; it is called between two ReadFrame calls.
// Off, the default, such a frame is malformed. On, its payload is
// decompressed into the pooled Buffer that ReadFrame returns, and the
// returned Header has FlagCompressed cleared.
//
// The decompressed payload is bounded like an uncompressed one:
// BodyHeaderSize + payload (+ the AEAD overhead once sealing is on) must not
// exceed the maximum size. A frame that declares more, that turns out to
// hold more, or whose zstd window exceeds min(max, 8 MiB) (a window of up to
// 2 KiB is always allowed) is refused with ErrTooLarge, without allocating
// for what it declares. Anything but exactly one zstd frame is malformed.
func (r *Reader) SetDecompression(on bool) {
	r.decompress = on
	if on && r.decoders == nil {
		r.decoders = decodersFor(r.max)
	}
}

// ReadFrame returns the next frame's header and payload. The payload is in a
// pooled Buffer that the caller owns and must Release; it is never nil when
// err is nil, even for an empty payload.
//
// It returns io.EOF exactly when the stream ends cleanly between frames, and
// an error satisfying errors.Is(err, io.ErrUnexpectedEOF) when it ends inside
// one. Other errors wrap ErrTooLarge (detected before the body is
// allocated, or for a compressed frame before allocating what it declares),
// ErrMalformed, ErrAuthFailed, ErrSequenceExhausted or the underlying
// reader's error; once the Reader was abandoned (Abandon), it returns
// ErrAbandoned.
func (r *Reader) ReadFrame() (Header, *Buffer, error) {
	if r.err != nil {
		return Header{}, nil, r.err
	}
	h, b, err := r.readFrame()
	if err != nil {
		if !isTimeout(err) {
			r.err = err
			r.body.Release()
			r.body = nil
			if r.charging {
				r.giveBack()
			}
		}
		return Header{}, nil, err
	}
	return h, b, nil
}

// Abandon is for the goroutine that reads r once it will read no more (its
// connection is done, though no read failed: it ended on a timeout, say).
// It lets go of a frame partly read, and gives that body's charge back to
// the process's budget for bodies allocated ahead of their bytes (see
// aheadBudget) now, rather than once r is collected: until then, every
// large frame that other connections read starts small and grows, copied
// as it arrives. Every later ReadFrame returns ErrAbandoned.
func (r *Reader) Abandon() {
	if r.err == nil {
		r.err = ErrAbandoned
	}
	r.body.Release()
	r.body = nil
	if r.charging {
		r.giveBack()
	}
}

// Buffered returns the number of bytes read from the stream but not yet
// returned as frames: zero means that the next ReadFrame will read the
// stream.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// Idle reports whether the Reader holds no part of a frame and has not
// failed, so that the next byte it reads from the stream starts a frame.
func (r *Reader) Idle() bool { return r.body == nil && r.err == nil && r.br.Buffered() == 0 }

// FrameBuffered reports whether a whole frame is buffered, so that the next
// ReadFrame returns without reading the stream.
func (r *Reader) FrameBuffered() bool {
	n := r.br.Buffered()
	if n < HeaderSize || r.body != nil || r.err != nil {
		return false
	}
	p, _ := r.br.Peek(4)
	// In 64 bits, so that a length of 2³¹ or more stays positive on 32-bit platforms.
	return int64(n-4) >= int64(binary.BigEndian.Uint32(p))
}

// NextEmpty reports whether the next frame's payload is empty, reading the
// stream, if need be, until that frame's length prefix has arrived, but
// returning no frame: a receiver that will not take a frame with content
// yet (a call past its bound) can still take those without (a cancel). The
// length prefix is outside the seal, so the answer is unauthenticated
// until ReadFrame opens the frame. It returns the read's error, if any: a
// timeout loses nothing, and after any other the next ReadFrame fails.
func (r *Reader) NextEmpty() (bool, error) {
	empty := uint32(BodyHeaderSize + r.s.overhead())
	switch {
	case r.err != nil:
		return false, r.err
	case r.body != nil:
		return uint32(r.length) == empty, nil
	}
	p, err := r.br.Peek(4)
	switch {
	case err == nil:
		return binary.BigEndian.Uint32(p) == empty, nil
	case isTimeout(err):
		return false, err
	case err == io.EOF && len(p) == 0:
		r.err = io.EOF
	default:
		r.err = readErr("length", err)
	}
	// bufio forgets an error once returned: kept, it fails the next
	// ReadFrame as it would have, and a reset is never read as a clean end.
	return false, r.err
}

// isTimeout reports whether err is a read deadline passing, which leaves
// the stream intact. It asks for os.ErrDeadlineExceeded, not for a
// Timeout method: a connection that failed with ETIMEDOUT (TCP keepalive
// or retransmissions giving up) says it timed out too, but is broken, and
// a Reader that went on reading it would take its end for a clean one.
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

func (r *Reader) readFrame() (Header, *Buffer, error) {
	if r.body == nil {
		if err := r.readHeader(); err != nil {
			return Header{}, nil, err
		}
	}
	var h Header
	var b *Buffer
	var err error
	if r.s.aead != nil {
		h, b, err = r.readSealed()
	} else {
		h, b, err = r.readPlain()
	}
	if err != nil || h.Flags&FlagCompressed == 0 {
		return h, b, err
	}
	// Only reached with decompression on: parseBodyHeader refuses the
	// flag otherwise.
	out, err := decompress(r.decoders, b.B, int(r.max)-BodyHeaderSize-r.s.overhead())
	b.Release()
	if err != nil {
		return Header{}, nil, err
	}
	h.Flags &^= FlagCompressed
	return h, out, nil
}

// readHeader reads the length prefix and, for a plain frame, the body
// header, and starts the frame's body. It consumes nothing until all of
// them have arrived, so that a timeout meanwhile leaves the stream as it was.
func (r *Reader) readHeader() error {
	need := r.lead()
	// The length first, so that a peer cannot hold this end waiting for
	// more of a frame it may not send; in one go if it is all here.
	first := 4
	if r.br.Buffered() >= need {
		first = need
	}
	p, err := r.br.Peek(first)
	switch {
	case err == nil:
	case err == io.EOF && len(p) == 0:
		return io.EOF
	case isTimeout(err):
		return err
	default:
		return readErr("length", err)
	}
	length := binary.BigEndian.Uint32(p)
	if length > r.max {
		return fmt.Errorf("%w: body of %d bytes exceeds maximum of %d", ErrTooLarge, length, r.max)
	}
	if minLen := BodyHeaderSize + r.s.overhead(); int64(length) < int64(minLen) {
		return fmt.Errorf("%w: body of %d bytes is shorter than the minimum %d", ErrMalformed, length, minLen)
	}
	if len(p) < need {
		if p, err = r.br.Peek(need); err != nil {
			if isTimeout(err) {
				return err
			}
			return readErr("header", err)
		}
	}
	copy(r.hdr[:], p)
	r.br.Discard(need)
	r.length = int(length)
	size := r.length
	if r.s.aead == nil {
		size -= BodyHeaderSize
	}
	if size <= aheadFree {
		r.body = GetBuffer(size)
	} else {
		r.startBody(size)
	}
	r.got = 0
	return nil
}

// lead returns how many bytes of a frame come before the part of it that
// is read into its body's Buffer: the whole header of a plain frame, the
// length prefix of a sealed one.
func (r *Reader) lead() int {
	if r.s.aead == nil {
		return HeaderSize
	}
	return 4
}

// ownedBody is the body size from which a frame is read into an array of
// its own rather than a pooled one (see Buffer.Own): a receiver that keeps
// the payload, as a []byte or string, then takes the array over instead of
// copying it out, which for large payloads costs more than the allocation.
// A body that grows as it arrives (see readBody) ends in such an array too.
const ownedBody = 256 << 10

// readPlain reads a plain frame's payload straight into its pooled Buffer,
// so the payload is copied only once.
func (r *Reader) readPlain() (Header, *Buffer, error) {
	h, err := parseBodyHeader(r.hdr[4:], r.decompress)
	if err != nil {
		return Header{}, nil, err
	}
	b, err := r.readBody(r.length - BodyHeaderSize)
	if err != nil {
		return Header{}, nil, readErr("payload", err)
	}
	return h, b, nil
}

// readSealed reads the whole sealed body into one pooled Buffer and opens
// it in place; the Buffer's B is then narrowed to the payload.
func (r *Reader) readSealed() (Header, *Buffer, error) {
	b, err := r.readBody(r.length)
	if err != nil {
		return Header{}, nil, readErr("sealed body", err)
	}
	nonce, err := r.s.next()
	if err != nil {
		b.Release()
		return Header{}, nil, err
	}
	plain, err := r.s.aead.Open(b.B[:0], nonce, b.B, r.hdr[:4])
	if err != nil {
		b.Release()
		return Header{}, nil, ErrAuthFailed
	}
	h, err := parseBodyHeader(plain, r.decompress)
	if err != nil {
		b.Release()
		return Header{}, nil, err
	}
	b.B = plain[BodyHeaderSize:]
	return h, b, nil
}

// eagerBody is the largest body allocated whole as soon as its length is
// known (budget permitting: see aheadBudget): the pool's largest size
// class, so that every pooled size still costs one allocation. A larger
// body starts with this much and grows, doubling, as its bytes arrive: a
// peer that declares a huge frame and then sends nothing makes this end
// hold at most this much, not the maximum frame size, and one that sends
// slowly at most twice what it sent.
const eagerBody = 1 << maxClassShift

// readBody reads the rest of the frame's n-byte body into r.body, which
// it hands over once complete. On an error the body read so far stays in
// r.body, for the next call after a timeout.
func (r *Reader) readBody(n int) (*Buffer, error) {
	for {
		b := r.body
		m, err := io.ReadFull(r.br, b.B[r.got:])
		r.got += m
		if err != nil {
			return nil, err
		}
		if r.got == n {
			r.body = nil
			if r.charging {
				r.giveBack()
			}
			return b, nil
		}
		r.body = grow(b, r.got, n, r.lead())
	}
}

// grow returns a Buffer twice b's size, or n bytes if that is less, holding
// b's first got bytes, and releases b. A body's last array is one of its
// own if the body is large enough for that (see ownedBody), as it would
// have been had it been allocated whole; lead is as for newOwned.
func grow(b *Buffer, got, n, lead int) *Buffer {
	var grown *Buffer
	if size := 2 * len(b.B); size < n {
		grown = GetBuffer(size)
	} else if n >= ownedBody {
		grown = newOwned(n, lead)
	} else {
		grown = GetBuffer(n)
	}
	copy(grown.B, b.B[:got])
	b.Release()
	return grown
}

// readErr describes a failed read inside a frame. Running out of input there
// is never a clean end, so a bare io.EOF becomes io.ErrUnexpectedEOF.
func readErr(what string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("frame: reading %s: %w", what, err)
}
