package frame

import (
	"bufio"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// readBufferSize is the Reader's buffer: big enough that a burst of small
// frames is parsed from a single read system call.
const readBufferSize = 32 << 10

// Reader reads frames from a byte stream, typically a net.Conn. It buffers
// its input, so a small frame costs at most one read system call and several
// frames that arrive together are parsed from one read.
//
// A Reader is not safe for concurrent use: each connection has one reading
// goroutine. After any error the stream position is unknown, so the Reader
// stays broken and returns the same error from every later ReadFrame.
type Reader struct {
	br  *bufio.Reader
	max uint32
	s   sealer
	err error
	hdr [HeaderSize]byte // scratch for the plain header, kept here to avoid allocating

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
// reader's error.
func (r *Reader) ReadFrame() (Header, *Buffer, error) {
	if r.err != nil {
		return Header{}, nil, r.err
	}
	h, b, err := r.readFrame()
	if err != nil {
		r.err = err
		return Header{}, nil, err
	}
	return h, b, nil
}

func (r *Reader) readFrame() (Header, *Buffer, error) {
	if _, err := io.ReadFull(r.br, r.hdr[:4]); err != nil {
		if err == io.EOF {
			return Header{}, nil, io.EOF
		}
		return Header{}, nil, readErr("length", err)
	}
	length := binary.BigEndian.Uint32(r.hdr[:4])
	if length > r.max {
		return Header{}, nil, fmt.Errorf("%w: body of %d bytes exceeds maximum of %d", ErrTooLarge, length, r.max)
	}
	if minLen := BodyHeaderSize + r.s.overhead(); int64(length) < int64(minLen) {
		return Header{}, nil, fmt.Errorf("%w: body of %d bytes is shorter than the minimum %d", ErrMalformed, length, minLen)
	}
	var h Header
	var b *Buffer
	var err error
	if r.s.aead != nil {
		h, b, err = r.readSealed(int(length))
	} else {
		h, b, err = r.readPlain(int(length))
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

// readPlain reads the body header into scratch space and the payload
// straight into its pooled Buffer, so the payload is copied only once.
func (r *Reader) readPlain(length int) (Header, *Buffer, error) {
	if _, err := io.ReadFull(r.br, r.hdr[4:]); err != nil {
		return Header{}, nil, readErr("header", err)
	}
	h, err := parseBodyHeader(r.hdr[4:], r.decompress)
	if err != nil {
		return Header{}, nil, err
	}
	b, err := r.readBody(length - BodyHeaderSize)
	if err != nil {
		return Header{}, nil, readErr("payload", err)
	}
	return h, b, nil
}

// readSealed reads the whole sealed body into one pooled Buffer and opens
// it in place; the Buffer's B is then narrowed to the payload.
func (r *Reader) readSealed(length int) (Header, *Buffer, error) {
	b, err := r.readBody(length)
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

// readErr describes a failed read inside a frame. Running out of input there
// is never a clean end, so a bare io.EOF becomes io.ErrUnexpectedEOF.
// eagerBody is the largest body allocated whole as soon as its length is
// known: the pool's largest size class, so that every pooled size still
// costs one allocation. A larger body grows, doubling, as its bytes arrive:
// a peer that declares a huge frame and then sends nothing makes this end
// hold at most this much, not the maximum frame size, and one that sends
// slowly at most twice what it sent.
const eagerBody = 1 << maxClassShift

// readBody reads an n-byte body into a pooled Buffer.
func (r *Reader) readBody(n int) (*Buffer, error) {
	b := GetBuffer(min(n, eagerBody))
	got := 0
	for {
		m, err := io.ReadFull(r.br, b.B[got:])
		got += m
		if err != nil {
			b.Release()
			return nil, err
		}
		if got == n {
			return b, nil
		}
		grown := GetBuffer(min(2*len(b.B), n))
		copy(grown.B, b.B[:got])
		b.Release()
		b = grown
	}
}

func readErr(what string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("frame: reading %s: %w", what, err)
}
