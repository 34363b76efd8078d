package frame

// Decompression against hostile input: frames whose payload decompresses
// past the maximum, declares a size it does not have, or is not one good
// zstd frame.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestDecompressLimit checks the reader's bound to the byte, for frames
// that declare their size and frames that do not, by hand-made input (so
// the writer's own check does not get in the way).
func TestDecompressLimit(t *testing.T) {
	const max = 1 << 20
	for _, sealed := range []bool{false, true} {
		limit := max - BodyHeaderSize
		if sealed {
			limit -= 16
		}
		for _, declared := range []bool{true, false} {
			for _, n := range []int{limit, limit + 1} {
				t.Run(fmt.Sprintf("sealed=%v/declared=%v/%d", sealed, declared, n), func(t *testing.T) {
					src := jsonLike(n)
					z := zstdEncode(t, src)
					if !declared {
						z = zstdStream(t, src, max)
					}
					r := compressedReader(t, compressedFrame(t, sealed, z), max, sealed)
					_, b, err := r.ReadFrame()
					if n > limit {
						if !errors.Is(err, ErrTooLarge) {
							t.Fatalf("ReadFrame() = %v, want ErrTooLarge", err)
						}
						return
					}
					if err != nil {
						t.Fatalf("ReadFrame() = %v", err)
					}
					if !bytes.Equal(b.B, src) {
						t.Fatal("payload differs")
					}
					b.Release()
				})
			}
		}
	}
}

// allocDuring returns the bytes allocated while f ran.
func allocDuring(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecompressHeaderBomb checks that a tiny frame declaring a huge size
// or window is refused from its headers, allocating next to nothing.
func TestDecompressHeaderBomb(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name string
		z    []byte
		want error
	}{
		{"content 1 GiB single segment", append(zstdHeader(0, gib, 0), zstdBlock(true, 1, 128<<10, 0)...), ErrTooLarge},
		{"content 1 TiB 8-byte field", append(zstdHeader(0, 1<<40, 0), zstdBlock(true, 1, 128<<10, 0)...), ErrTooLarge},
		{"content 1 GiB with window", append(zstdHeader(20, gib, 0), zstdBlock(true, 1, 128<<10, 0)...), ErrTooLarge},
		{"window 1 GiB", append(zstdHeader(30, -1, 0), zstdBlock(true, 1, 128<<10, 0)...), ErrTooLarge},
		{"window 16 MiB", append(zstdHeader(24, -1, 0), zstdBlock(true, 1, 128<<10, 0)...), ErrTooLarge},
		{"window 32 KiB, maximum 16 KiB", append(zstdHeader(15, -1, 0), zstdBlock(true, 0, 1, 0)...), ErrTooLarge},
		{"max window 3.75 TiB", append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0xff}, zstdBlock(true, 1, 128<<10, 0)...), ErrTooLarge},
		// Within the maximum, but the one block cannot hold it: no
		// 15 MiB buffer for a 20-byte frame.
		{"content 15 MiB, one block", append(zstdHeader(0, 15<<20, 0), zstdBlock(true, 1, 128<<10, 0)...), ErrMalformed},
		{"1 GiB of RLE blocks", append(zstdHeader(23, -1, 0), rleBlocks(gib/(128<<10), 128<<10)...), ErrTooLarge},
	}
	for _, sealed := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("sealed=%v/%s", sealed, tt.name), func(t *testing.T) {
				max := 0
				if strings.Contains(tt.name, "maximum 16 KiB") {
					max = 16 << 10
				}
				r := compressedReader(t, compressedFrame(t, sealed, tt.z), max, sealed)
				var err error
				grew := allocDuring(func() { _, _, err = r.ReadFrame() })
				if !errors.Is(err, tt.want) {
					t.Fatalf("ReadFrame() = %v, want %v", err, tt.want)
				}
				// The body itself is pooled or, for the RLE blocks, 32 KiB.
				if bound := uint64(4*len(tt.z) + 64<<10); grew > bound {
					t.Fatalf("allocated %d bytes for a refused %d-byte frame (bound %d)", grew, len(tt.z), bound)
				}
				t.Logf("%d-byte frame refused after %d bytes allocated: %v", len(tt.z), grew, err)
			})
		}
	}
}

// TestDecompressRatioBomb sends 64 MiB of zeros compressed to a few
// kilobytes to a reader with a maximum of 1 MiB: refused, and the reader
// allocates no more than a few MiB on the way.
func TestDecompressRatioBomb(t *testing.T) {
	const max = 1 << 20
	zeros := make([]byte, 64<<20)
	bombs := []struct {
		name string
		z    []byte
	}{
		{"declared size", zstdEncode(t, zeros)},
		{"streamed, no declared size", zstdStream(t, zeros, max)},
		{"RLE blocks, no declared size", append(zstdHeader(20, -1, 0), rleBlocks(len(zeros)/(128<<10), 128<<10)...)},
	}
	zeros = nil
	runtime.GC()
	// Create the pool's decoder outside the measurement.
	warm := compressedReader(t, compressedFrame(t, false, zstdEncode(t, jsonLike(4096))), max, false)
	if _, b, err := warm.ReadFrame(); err != nil {
		t.Fatal(err)
	} else {
		b.Release()
	}
	for _, sealed := range []bool{false, true} {
		for _, bomb := range bombs {
			t.Run(fmt.Sprintf("sealed=%v/%s", sealed, bomb.name), func(t *testing.T) {
				if len(bomb.z) > 64<<10 {
					t.Fatalf("bomb is %d bytes", len(bomb.z))
				}
				in := compressedFrame(t, sealed, bomb.z)
				r := compressedReader(t, in, max, sealed)
				var err error
				// Everything allocated, garbage included: an upper bound
				// on how far the heap grew.
				grew := allocDuring(func() { _, _, err = r.ReadFrame() })
				if !errors.Is(err, ErrTooLarge) {
					t.Fatalf("ReadFrame() = %v, want ErrTooLarge", err)
				}
				if grew > 4<<20 {
					t.Fatalf("allocated %d bytes refusing a %d-byte bomb", grew, len(bomb.z))
				}
				t.Logf("%d-byte bomb refused after %d bytes allocated: %v", len(bomb.z), grew, err)
			})
		}
	}
}

// A frame that declares its size and compresses far more than eightfold
// (the ratio past which a frame that declares no size starts in less room
// than it needs) comes out whole; one that holds a byte more or less than
// it declares is refused.
func TestDecompressDeclaredSize(t *testing.T) {
	for _, n := range []int{300 << 10, 1 << 20, 9 << 20} {
		p := bytes.Repeat([]byte("uactor, "), n/8)
		z := zstdEncode(t, p)
		if 8*len(z) >= n {
			t.Fatalf("%d bytes compress to %d: not even eightfold", n, len(z))
		}
		var h zstd.Header
		if err := h.Decode(z); err != nil || !h.HasFCS {
			t.Fatalf("%d bytes: header %+v, %v", n, h, err)
		}
		fcs := z[h.HeaderSize-4 : h.HeaderSize] // a 4-byte field for these sizes
		if binary.LittleEndian.Uint32(fcs) != uint32(n) {
			t.Fatalf("%d bytes: content size field %x", n, fcs)
		}
		for _, d := range []int{0, -1, 1} {
			zd := bytes.Clone(z)
			binary.LittleEndian.PutUint32(zd[h.HeaderSize-4:], uint32(n+d))
			for _, sealed := range []bool{false, true} {
				t.Run(fmt.Sprintf("%d%+d/sealed=%v", n, d, sealed), func(t *testing.T) {
					r := compressedReader(t, compressedFrame(t, sealed, zd), DefaultMaxSize, sealed)
					_, b, err := r.ReadFrame()
					switch {
					case d != 0 && !errors.Is(err, ErrMalformed):
						t.Fatalf("declaring %d: ReadFrame() = %v, want ErrMalformed", n+d, err)
					case d != 0:
					case err != nil:
						t.Fatal(err)
					case !bytes.Equal(b.B, p):
						t.Fatalf("decoded %d bytes, not the %d sent", len(b.B), n)
					default:
						b.Release()
					}
				})
			}
		}
	}
}

// TestDecompressEmptyBlocks sends frames that declare no size, made of one
// byte and a run of empty compressed blocks (five bytes each, each counted
// as able to hold a full block): under a kilobyte bounded at the 16 MiB
// maximum. The reader allocates for the byte they hold, not for the bound,
// and the Buffer it hands out holds no more than the payload's size class:
// a receiver keeps that Buffer, or an owned one's array, while it counts
// the payload alone. A frame that does fill its bound still decodes whole.
func TestDecompressEmptyBlocks(t *testing.T) {
	const max = DefaultMaxSize
	empty := func(n int, last bool) []byte {
		var z []byte
		for i := range n {
			z = append(z, zstdBlock(last && i == n-1, 2, 2, 0x00, 0x00)...) // no literals, no sequences
		}
		return z
	}
	oneByte := append(zstdHeader(17, -1, 0), zstdBlock(false, 2, 3, 0x08, 'x', 0x00)...) // one raw literal
	zeros := make([]byte, 3<<20)
	for _, tt := range []struct {
		name  string
		z     []byte
		want  []byte
		bound uint64 // bytes the read may allocate
	}{
		{"one byte, 1 empty block", append(oneByte, empty(1, true)...), []byte("x"), 1 << 20},
		{"one byte, 127 empty blocks", append(oneByte, empty(128, true)...), []byte("x"), 1 << 20},
		{"one byte, 2000 empty blocks", append(oneByte, empty(2000, true)...), []byte("x"), 1 << 20},
		// 600 KB of blocks: decoded into room for eight times that.
		{"one byte, 120000 empty blocks", append(oneByte, empty(120_000, true)...), []byte("x"), 6 << 20},
		{"3 MiB streamed", zstdStream(t, zeros, 1<<20), zeros, 6 * 3 << 20}, // the doublings, and the decoder's window
	} {
		for _, sealed := range []bool{false, true} {
			t.Run(fmt.Sprintf("sealed=%v/%s", sealed, tt.name), func(t *testing.T) {
				r := compressedReader(t, compressedFrame(t, sealed, tt.z), max, sealed)
				var b *Buffer
				var err error
				grew := allocDuring(func() { _, b, err = r.ReadFrame() })
				if err != nil {
					t.Fatalf("ReadFrame() = %v", err)
				}
				defer b.Release()
				if !bytes.Equal(b.B, tt.want) {
					t.Fatalf("payload of %d bytes, want %d", len(b.B), len(tt.want))
				}
				held := cap(b.buf)
				if grew > tt.bound || (held > 2*len(tt.want) && held > 2<<minClassShift) || (len(tt.want) < ownedBody && b.Own()) {
					t.Fatalf("a %d-byte frame holding %d bytes: %d bytes allocated (bound %d), %d held, owned %v",
						len(tt.z), len(b.B), grew, tt.bound, held, b.Own())
				}
				t.Logf("%d-byte frame, %d-byte payload: %d bytes allocated", len(tt.z), len(b.B), grew)
			})
		}
	}
}

// TestDecompressMalformed checks that anything but exactly one good zstd
// frame is refused as malformed.
func TestDecompressMalformed(t *testing.T) {
	good := zstdEncode(t, jsonLike(4096))
	small := zstdEncode(t, []byte("hello, hello, hello, hello"))
	withCRC := zstdEncode(t, jsonLike(4096), zstd.WithEncoderCRC(true))
	badCRC := bytes.Clone(withCRC)
	badCRC[len(badCRC)-1] ^= 1
	skippable := []byte{0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4}
	var hdr zstd.Header
	if err := hdr.Decode(good); err != nil || !hdr.HasFCS {
		t.Fatalf("good frame header %+v, %v", hdr, err)
	}
	// The declared size of good, changed by one (a 2-byte field: size-256).
	lying := bytes.Clone(good)
	fcsAt := hdr.HeaderSize - 2
	binary.LittleEndian.PutUint16(lying[fcsAt:], binary.LittleEndian.Uint16(lying[fcsAt:])-1)

	// A frame that needs all the room a 1 MiB maximum leaves, but whose
	// last block does not decode: corrupt, not too large.
	const bounded = 1 << 20
	cut := corruptLastBlock(t, zstdStream(t, jsonLike(bounded-BodyHeaderSize-16-4096), 512<<10))

	tests := []struct {
		name string
		z    []byte
		max  int // the Reader's maximum: 0 the default, 4096 uactor's smallest
	}{
		{"empty", nil, 0},
		{"not zstd", []byte("this is not a zstd frame at all"), 0},
		{"magic only", good[:4], 0},
		{"header only", good[:hdr.HeaderSize], 0},
		{"truncated", good[:len(good)-1], 0},
		{"trailing byte", append(bytes.Clone(good), 0), 0},
		{"two frames", append(bytes.Clone(small), small...), 0},
		{"skippable frame", skippable, 0},
		{"skippable after frame", append(bytes.Clone(small), skippable...), 0},
		{"dictionary", append(zstdHeader(10, -1, 1), zstdBlock(true, 0, 1, 'x')...), 0},
		{"reserved header bit", append(zstdHeader(10, -1, 1<<3), zstdBlock(true, 0, 1, 'x')...), 0},
		{"reserved block type", append(zstdHeader(10, -1, 0), zstdBlock(true, 3, 1, 'x')...), 0},
		{"no last block", append(zstdHeader(10, -1, 0), zstdBlock(false, 0, 1, 'x')...), 0},
		{"raw block over window", append(zstdHeader(10, -1, 0), zstdBlock(true, 0, 2000, make([]byte, 2000)...)...), 0},
		{"compressed block of 1 byte", append(zstdHeader(10, -1, 0), zstdBlock(true, 2, 1, 0)...), 0},
		{"declares 100, holds 50", append(zstdHeader(0, 100, 0), zstdBlock(true, 0, 50, make([]byte, 50)...)...), 0},
		{"declares one byte less", lying, 0},
		{"checksum missing", withCRC[:len(withCRC)-4], 0},
		{"checksum wrong", badCRC, 0},
		{"garbage block", append(zstdHeader(10, -1, 0), zstdBlock(true, 2, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)...), 0},
		{"garbage block at the smallest maximum", append(zstdHeader(12, -1, 0), zstdBlock(true, 2, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)...), 4096},
		{"corrupt last block at the bound", cut, bounded},
	}
	for _, sealed := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("sealed=%v/%s", sealed, tt.name), func(t *testing.T) {
				r := compressedReader(t, compressedFrame(t, sealed, tt.z), tt.max, sealed)
				_, _, err := r.ReadFrame()
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("ReadFrame() = %v, want ErrMalformed", err)
				}
				if _, _, again := r.ReadFrame(); again != err {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
			})
		}
	}
	// And the good ones are good.
	for _, z := range [][]byte{good, small, withCRC} {
		r := compressedReader(t, compressedFrame(t, false, z), 0, false)
		_, b, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("good frame: %v", err)
		}
		b.Release()
	}
}

// corruptLastBlock returns z, a zstd frame, with the content of its last
// compressed block overwritten, so that it no longer decodes.
func corruptLastBlock(t *testing.T, z []byte) []byte {
	t.Helper()
	var h zstd.Header
	if err := h.Decode(z); err != nil {
		t.Fatal(err)
	}
	z = bytes.Clone(z)
	last, size := -1, 0
	for off := h.HeaderSize; off+3 <= len(z); {
		bh := int(z[off]) | int(z[off+1])<<8 | int(z[off+2])<<16
		typ, n := bh>>1&3, bh>>3
		if typ == 2 {
			last, size = off+3, n
		}
		if typ == 1 {
			n = 1
		}
		off += 3 + n
		if bh&1 != 0 {
			break
		}
	}
	if last < 0 {
		t.Fatal("the frame has no compressed block")
	}
	for i := range size {
		z[last+i] = 0xff
	}
	return z
}

// TestDecompressSingleSegmentLarge: a single-segment frame's window is its
// content size, bounded by the maximum like any payload, not by the 8 MiB
// limit on other frames' windows.
func TestDecompressSingleSegmentLarge(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		src := jsonLike(10 << 20)
		z := zstdEncode(t, src, zstd.WithSingleSegment(true), zstd.WithWindowSize(8<<20))
		var h zstd.Header
		if err := h.Decode(z); err != nil || !h.SingleSegment {
			t.Fatalf("header %+v, %v; want a single-segment frame", h, err)
		}
		r := compressedReader(t, compressedFrame(t, sealed, z), 0, sealed)
		_, b, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("sealed=%v: ReadFrame() = %v, want the 10 MiB payload", sealed, err)
		}
		if !bytes.Equal(b.B, src) {
			t.Fatalf("sealed=%v: payload differs", sealed)
		}
		b.Release()
	}
}
