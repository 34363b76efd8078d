package frame

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// zstd compression (FlagCompressed). The format and the limits a Reader
// enforces are specified in PROTOCOL.md ("Compressed frames"). How they are
// enforced: the Reader checks the zstd frame header and the block headers
// before it allocates, then decodes into a pooled Buffer no larger than the
// bound with WithDecodeAllCapLimit, so the decoder stops there. A refused
// size is ErrTooLarge; anything else wrong with the zstd data ErrMalformed.

// knownFlags is the set of flag bits defined by the protocol.
const knownFlags = FlagCompressed

// checkFlags rejects undefined flag bits, and FlagCompressed unless
// compressed is true (the Reader has decompression on). A Writer never
// accepts FlagCompressed from its caller: it sets the flag itself.
func checkFlags(f Flags, compressed bool) error {
	if f&^knownFlags != 0 {
		return fmt.Errorf("%w: unknown flags %#02x", ErrMalformed, uint8(f&^knownFlags))
	}
	if f&FlagCompressed != 0 && !compressed {
		return fmt.Errorf("%w: compression not agreed", ErrMalformed)
	}
	return nil
}

const (
	// maxWindow is the largest zstd window a Reader accepts, whatever its
	// maximum.
	maxWindow = 8 << 20

	// encoderWindow is the Writer's zstd window. An encoder that has
	// compressed a payload of more than one block keeps a history of the
	// window plus a block, so with the library's default of 8 MiB every
	// pooled encoder would pin 9 MiB; JSON-like payloads compress no
	// better with the larger window.
	encoderWindow = 512 << 10

	// minWindowLimit is the window a Reader accepts even when its maximum
	// is smaller: the Writer describes a payload of up to 1 KiB with a
	// window of the next power of two, so up to 2 KiB.
	minWindowLimit = 2 << 10

	// zstdBlockMax is the most a zstd block can hold (Block_Maximum_Size
	// for any window of 128 KiB or more).
	zstdBlockMax = 128 << 10
)

// windowLimit is the largest zstd window accepted by a Reader whose
// maximum body size is maxSize.
func windowLimit(maxSize uint32) uint64 {
	return min(maxWindow, max(uint64(maxSize), minWindowLimit))
}

// encoders holds zstd encoders for Writer.WriteFrame. Each does its work on
// the calling goroutine (concurrency 1, EncodeAll only) and owns its tables,
// so a pooled encoder is reused across frames and Writers without locking.
var encoders = sync.Pool{New: func() any {
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(encoderWindow),
		// A sealed frame is authenticated already, and a plain frame
		// has no checksum either when it is not compressed.
		zstd.WithEncoderCRC(false),
		// Keep the history at the window plus one block, rather than
		// twice the window and at least 1 MiB.
		zstd.WithLowerEncoderMem(true),
	)
	if err != nil {
		panic("frame: zstd encoder options: " + err.Error())
	}
	return e
}}

// compress returns the zstd frame of the concatenation of parts (n bytes in
// all) in a pooled Buffer, or nil if it is not smaller than n bytes.
func compress(parts [][]byte, n int) *Buffer {
	var src []byte
	var joined *Buffer
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		if src == nil {
			src = p
			continue
		}
		// More than one non-empty part: EncodeAll needs them contiguous.
		joined = GetBuffer(n)
		off := 0
		for _, p := range parts {
			off += copy(joined.B[off:], p)
		}
		src = joined.B
		break
	}
	if len(src) == 0 {
		return nil
	}
	enc := encoders.Get().(*zstd.Encoder)
	// The output goes straight into out's array, which can hold even an
	// incompressible payload's (stored as raw blocks), so that finding out
	// that it does not shrink costs no allocation.
	out := GetBuffer(enc.MaxEncodedSize(n))
	z := enc.EncodeAll(src, out.buf[:0])
	encoders.Put(enc)
	joined.Release()
	if len(z) == 0 || len(z) >= n || &z[0] != &out.buf[0] {
		out.Release()
		return nil
	}
	out.B = z
	return out
}

// decoderPool holds zstd decoders configured for one maximum body size.
type decoderPool struct {
	max  uint32
	pool sync.Pool
}

// decoderPools maps a Reader's maximum body size to its *decoderPool. In
// practice a process uses one or two maximums, so this stays tiny.
var decoderPools sync.Map

// decodersFor returns the shared decoder pool for Readers whose maximum
// body size is max.
func decodersFor(max uint32) *decoderPool {
	if p, ok := decoderPools.Load(max); ok {
		return p.(*decoderPool)
	}
	p, _ := decoderPools.LoadOrStore(max, &decoderPool{max: max})
	return p.(*decoderPool)
}

func (p *decoderPool) get() *zstd.Decoder {
	if d, ok := p.pool.Get().(*zstd.Decoder); ok {
		return d
	}
	d, err := zstd.NewReader(nil,
		// Decode on the calling goroutine, one frame at a time.
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		// The exact bound is the capacity decompress passes to
		// DecodeAll; these are a second line of defence. A single-segment
		// frame's window is at least 1 KiB, so the memory limit is never
		// below that.
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxMemory(max(uint64(p.max), minWindowLimit)),
		// A single-segment frame's window is its content size, which
		// the bound checks; zstdSize checks any other frame's window.
		zstd.WithDecoderMaxWindow(max(uint64(p.max), minWindowLimit)),
	)
	if err != nil {
		panic("frame: zstd decoder options: " + err.Error())
	}
	return d
}

func (p *decoderPool) put(d *zstd.Decoder) { p.pool.Put(d) }

// decompress decodes z, the payload of a compressed frame, into a new pooled
// Buffer of at most limit bytes. It allocates nothing for a frame it
// refuses on the strength of its headers, and for a frame that declares no
// size about what its blocks turn out to hold (see undeclaredRoom).
func decompress(p *decoderPool, z []byte, limit int) (*Buffer, error) {
	size, exact, blockMax, err := zstdSize(z, max(limit, 0), windowLimit(p.max))
	if err != nil {
		return nil, err
	}
	room := size
	if !exact {
		room = min(size, max(undeclaredRoom*blockMax, undeclaredRatio*len(z)))
	}
	for {
		// Room only up to the maximum cannot tell a payload that needs
		// more from one whose last block is corrupt: each fails in that
		// block. With a block more, one that needs more passes the limit.
		past := !exact && room == size && size == limit
		capacity := room
		if past {
			capacity = limit + blockMax
		}
		out, res, err := decodeInto(p, z, capacity, exact, past)
		if err == nil && len(res) <= limit {
			if !exact {
				out = fit(out)
			}
			return out, nil
		}
		out.Release()
		// Running out of room in the middle of a block has no error of its
		// own: a block that could have crossed the room counts as that.
		outOfRoom := err == nil || errors.Is(err, zstd.ErrDecoderSizeExceeded) || len(res)+blockMax > capacity
		switch {
		case past && (outOfRoom || len(res) > limit):
			return nil, fmt.Errorf("%w: compressed payload decompresses to more than the maximum of %d bytes", ErrTooLarge, limit)
		case !exact && outOfRoom && room < size:
			room = min(2*room, size)
			continue
		default:
			// Including more output than the declared size or than the
			// blocks can hold: the frame contradicts itself.
			return nil, fmt.Errorf("%w: compressed payload: %v", ErrMalformed, err)
		}
	}
}

// fit returns out, or a copy of its payload in a Buffer of the payload's
// own size class if out's array is more than twice that: a receiver holds
// what it is handed (a []byte handler takes an owned array over) while it
// counts only the payload, and the room a frame that declares no size is
// decoded into follows its compressed size, not what it holds.
func fit(out *Buffer) *Buffer {
	n := len(out.B)
	if cap(out.buf) <= 2*max(n, 1<<minClassShift) {
		return out
	}
	b := GetBuffer(n)
	copy(b.B, out.B)
	out.Release()
	return b
}

// A frame that declares no size is bounded by its blocks, each counted as
// full, though a compressed block of five bytes may hold nothing: a frame of
// under a kilobyte may be bounded at the maximum and hold one byte. So such
// a frame is decoded into room for undeclaredRoom full blocks, or
// undeclaredRatio times its compressed size if that is more, and the room
// doubles each time the output needs more, up to the bound: what a frame
// makes the reader allocate follows what it holds, at most about twice.
const (
	undeclaredRoom  = 2
	undeclaredRatio = 8
)

// decodeInto decodes z into a new Buffer of room bytes, which with exact
// is z's declared size; with owned, one of no pool, whose size class room
// past the maximum would double. On failure it returns the Buffer, for the
// caller to release, and what was decoded, for it to tell why.
func decodeInto(p *decoderPool, z []byte, room int, exact, owned bool) (*Buffer, []byte, error) {
	get := GetBuffer
	if owned {
		get = func(n int) *Buffer { return newOwned(n, 0) }
	}
	out := get(room)
	dst := out.buf[:0:room]
	if exact {
		// The decoder holds the output to the declared size itself, so
		// it may use the pooled array's slack for its fast copies.
		dst = out.buf[:0]
	}
	d := p.get()
	res, err := d.DecodeAll(z, dst)
	p.put(d)
	if err == nil && len(res) > room {
		err = zstd.ErrDecoderSizeExceeded // cannot happen with the cap limit; be sure
	}
	if err != nil {
		return out, res, err
	}
	if len(res) > 0 && &res[0] != &out.buf[0] {
		// The decoder had to move to a bigger array; it is no bigger
		// than room, which out can hold.
		copy(out.buf, res)
	}
	out.B = out.buf[:len(res)]
	return out, res, nil
}
