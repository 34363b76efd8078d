package frame

import (
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// zstdSize checks that z is exactly one zstd frame that decompresses to at
// most limit bytes and uses a window of at most window bytes, reading only
// its frame header and block headers. It returns the capacity to decode
// into: the declared content size (exact) or an upper bound of at most
// limit; and the most one of its blocks can hold.
func zstdSize(z []byte, limit int, window uint64) (size int, exact bool, blockMax int, err error) {
	var h zstd.Header
	rest, err := h.DecodeAndStrip(z)
	if err != nil {
		return 0, false, 0, fmt.Errorf("%w: compressed payload: zstd frame header: %v", ErrMalformed, err)
	}
	switch {
	case h.Skippable:
		return 0, false, 0, fmt.Errorf("%w: compressed payload is a skippable zstd frame", ErrMalformed)
	case h.DictionaryID != 0:
		return 0, false, 0, fmt.Errorf("%w: compressed payload needs zstd dictionary %d", ErrMalformed, h.DictionaryID)
	case h.HasFCS && h.FrameContentSize > uint64(limit):
		return 0, false, 0, fmt.Errorf("%w: compressed payload declares %d bytes, maximum is %d", ErrTooLarge, h.FrameContentSize, limit)
	case !h.SingleSegment && h.WindowSize > window:
		return 0, false, 0, fmt.Errorf("%w: compressed payload has a zstd window of %d bytes, maximum is %d", ErrTooLarge, h.WindowSize, window)
	}
	w := h.WindowSize
	if h.SingleSegment {
		w = max(h.FrameContentSize, zstd.MinWindowSize) // as the decoder takes it
	}
	bmax := min(w, zstdBlockMax)

	// lo is what the blocks must produce (raw and RLE blocks say exactly),
	// hi what they can produce at most (a compressed block up to
	// bmax). Neither can overflow: each block takes 3 bytes of z.
	var lo, hi uint64
	for {
		if len(rest) < 3 {
			return 0, false, 0, fmt.Errorf("%w: compressed payload: zstd frame truncated", ErrMalformed)
		}
		bh := uint32(rest[0]) | uint32(rest[1])<<8 | uint32(rest[2])<<16
		rest = rest[3:]
		last, typ, n := bh&1 != 0, (bh>>1)&3, uint64(bh>>3)
		var data uint64
		switch typ {
		case 0: // raw
			lo, hi, data = lo+n, hi+n, n
		case 1: // RLE
			lo, hi, data = lo+n, hi+n, 1
		case 2: // compressed
			if n < 2 {
				return 0, false, 0, fmt.Errorf("%w: compressed payload: zstd block too small", ErrMalformed)
			}
			hi, data = hi+bmax, n
		default:
			return 0, false, 0, fmt.Errorf("%w: compressed payload: reserved zstd block type", ErrMalformed)
		}
		if n > bmax {
			return 0, false, 0, fmt.Errorf("%w: compressed payload: zstd block of %d bytes exceeds %d", ErrMalformed, n, bmax)
		}
		if data > uint64(len(rest)) {
			return 0, false, 0, fmt.Errorf("%w: compressed payload: zstd frame truncated", ErrMalformed)
		}
		rest = rest[data:]
		if lo > uint64(limit) {
			return 0, false, 0, fmt.Errorf("%w: compressed payload decompresses to more than the maximum of %d bytes", ErrTooLarge, limit)
		}
		if last {
			break
		}
	}
	if h.HasCheckSum {
		if len(rest) < 4 {
			return 0, false, 0, fmt.Errorf("%w: compressed payload: zstd frame truncated", ErrMalformed)
		}
		rest = rest[4:]
	}
	if len(rest) != 0 {
		return 0, false, 0, fmt.Errorf("%w: compressed payload: %d bytes after the zstd frame", ErrMalformed, len(rest))
	}
	if h.HasFCS {
		if h.FrameContentSize < lo || h.FrameContentSize > hi {
			return 0, false, 0, fmt.Errorf("%w: compressed payload declares %d bytes but its blocks hold %d to %d", ErrMalformed, h.FrameContentSize, lo, hi)
		}
		return int(h.FrameContentSize), true, int(bmax), nil
	}
	return int(min(hi, uint64(limit))), false, int(bmax), nil
}
