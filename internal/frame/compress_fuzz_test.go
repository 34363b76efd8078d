package frame

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// compressedSeeds returns named inputs for FuzzReaderCompressed: valid
// streams from a compressing Writer, and hand-made bombs and malformed
// frames (see seed for what the names promise).
func compressedSeeds(tb testing.TB) []seed {
	tb.Helper()
	var seeds []seed
	for _, sealed := range []bool{false, true} {
		var buf bytes.Buffer
		w := NewWriter(&buf, fuzzMax)
		if sealed {
			w.SetAEAD(newGCM(tb))
		}
		w.SetCompression(64)
		for i, p := range [][]byte{jsonLike(600), nil, randomBytes(1, 100), jsonLike(3000), []byte("short"), make([]byte, 1500)} {
			if err := w.WriteFrame(Header{Type: TypeReply, ID: uint64(i)}, p); err != nil {
				tb.Fatal(err)
			}
		}
		seeds = append(seeds, seed{fmt.Sprintf("valid-stream-sealed-%v", sealed), buf.Bytes(), sealed})
	}
	// A frame from another zstd encoder: streamed, no declared size.
	seeds = append(seeds, seed{"valid-streamed-no-size", compressedFrame(tb, false, zstdStream(tb, jsonLike(2000), 1<<10)), false})

	zeros := make([]byte, 4*fuzzMax)
	seeds = append(seeds,
		seed{"bomb-declares-1GiB", compressedFrame(tb, false, append(zstdHeader(0, 1<<30, 0), zstdBlock(true, 1, 128<<10, 0)...)), false},
		seed{"bomb-window-1GiB", compressedFrame(tb, false, append(zstdHeader(30, -1, 0), zstdBlock(true, 1, 128<<10, 0)...)), false},
		seed{"bomb-zeros-declared", compressedFrame(tb, false, zstdEncode(tb, zeros)), false},
		seed{"bomb-zeros-streamed", compressedFrame(tb, false, zstdStream(tb, zeros, 1<<15)), false},
		seed{"bomb-zeros-sealed", compressedFrame(tb, true, zstdEncode(tb, zeros)), true},
		seed{"bomb-rle-blocks", compressedFrame(tb, false, append(zstdHeader(15, -1, 0), rleBlocks(16, 32<<10)...)), false},
	)
	// Declared sizes far past eight times the compressed size:
	// one that holds them (a 1 KiB window keeps its blocks small), and one
	// whose blocks hold nothing.
	seeds = append(seeds,
		seed{"valid-declared-highly-compressed", compressedFrame(tb, false, zstdEncode(tb, bytes.Repeat([]byte("uactor, "), 7<<10), zstd.WithWindowSize(1<<10))), false},
		seed{"malformed-declared-empty-blocks", compressedFrame(tb, false, append(zstdHeader(10, 60<<10, 0), emptyBlocks(60)...)), false},
	)
	small := zstdEncode(tb, []byte("hello, hello, hello, hello"))
	seeds = append(seeds,
		seed{"malformed-two-frames", compressedFrame(tb, false, append(bytes.Clone(small), small...)), false},
		seed{"malformed-trailing", compressedFrame(tb, false, append(bytes.Clone(small), 0)), false},
		seed{"malformed-skippable", compressedFrame(tb, false, []byte{0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 1, 2}), false},
		seed{"malformed-not-zstd", compressedFrame(tb, true, []byte("not zstd")), true},
	)
	return seeds
}

// FuzzReaderCompressed feeds arbitrary bytes to a Reader with decompression
// on, plain or sealed. It must never panic, never return a payload larger
// than an uncompressed frame could carry, fail only with the documented
// errors and stay failed; and every frame it accepts must survive a round
// trip through a compressing Writer.
func FuzzReaderCompressed(f *testing.F) {
	for _, s := range compressedSeeds(f) {
		f.Add(s.data, s.sealed)
	}
	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		r, w, again := fuzzEnds(t, data, sealed)
		limit := fuzzMax - BodyHeaderSize
		if sealed {
			limit -= 16
		}
		r.SetDecompression(true)
		w.SetCompression(1)
		type frame struct {
			h Header
			p []byte
		}
		var accepted []frame
		readFuzzed(t, r, limit, func(h Header, p []byte) {
			if h.Flags != 0 {
				t.Fatalf("ReadFrame returned flags %#x", h.Flags)
			}
			accepted = append(accepted, frame{h, bytes.Clone(p)})
		})

		for _, fr := range accepted {
			if werr := w.WriteFrame(fr.h, fr.p); werr != nil {
				t.Fatalf("accepted frame %+v does not re-encode: %v", fr.h, werr)
			}
		}
		r2 := NewReader(again, fuzzMax)
		if sealed {
			r2.SetAEAD(newGCM(t))
		}
		r2.SetDecompression(true)
		for i, fr := range accepted {
			h, b, err := r2.ReadFrame()
			if err != nil {
				t.Fatalf("re-encoded frame %d: %v", i, err)
			}
			if h != fr.h || !bytes.Equal(b.B, fr.p) {
				t.Fatalf("re-encoded frame %d differs", i)
			}
			b.Release()
		}
	})
}
