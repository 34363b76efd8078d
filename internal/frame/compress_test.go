package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/uactor-go/uactor/internal/conntest"
)

// jsonLike returns n bytes of realistic JSON (an array of user records, cut
// at n bytes), the same for the same n.
func jsonLike(n int) []byte {
	rng := rand.New(rand.NewPCG(uint64(n), 0x6a736f6e))
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
		"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa"}
	roles := []string{"admin", "editor", "viewer", "owner", "billing"}
	var b bytes.Buffer
	b.WriteByte('[')
	for i := 0; b.Len() < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		id := 100000 + rng.IntN(900000)
		fmt.Fprintf(&b, `{"id":%d,"name":"%s %s","email":"%s.%d@example.com","active":%t,`+
			`"score":%.2f,"roles":["%s","%s"],"created":"2025-%02d-%02dT%02d:%02d:%02dZ",`+
			`"address":{"city":"%s","zip":"%05d"},"note":"%s %s %s"}`,
			id, words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))], id,
			rng.IntN(2) == 0, rng.Float64()*100, roles[rng.IntN(len(roles))], roles[rng.IntN(len(roles))],
			1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60),
			words[rng.IntN(len(words))], rng.IntN(100000),
			words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

// randomBytes returns n incompressible bytes, the same for the same seed.
func randomBytes(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

// zstdEncode compresses src with the given options (SpeedFastest, no
// checksum unless asked), for building test input by hand.
func zstdEncode(tb testing.TB, src []byte, opts ...zstd.EOption) []byte {
	tb.Helper()
	e, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	defer e.Close()
	return e.EncodeAll(src, nil)
}

// zstdStream compresses src as a stream with the given window, so the frame
// does not declare its content size.
func zstdStream(tb testing.TB, src []byte, window int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	e, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false), zstd.WithWindowSize(window))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.Write(src); err != nil {
		tb.Fatal(err)
	}
	if err := e.Close(); err != nil {
		tb.Fatal(err)
	}
	var h zstd.Header
	if err := h.Decode(buf.Bytes()); err != nil || h.HasFCS {
		tb.Fatalf("streamed zstd frame: header %+v, %v; want no content size", h, err)
	}
	return buf.Bytes()
}

// zstdHeader builds a zstd frame header by hand (RFC 8878 3.1.1.1): with
// windowLog 0 a single-segment frame, otherwise one with that window; fcs
// is the declared content size, or -1 for none; fhdExtra is ORed into the
// descriptor (checksum and dictionary flags).
func zstdHeader(windowLog int, fcs int64, fhdExtra byte) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, fhdExtra}
	var field []byte
	switch {
	case fcs < 0:
	case fcs < 256 && windowLog == 0:
		field = []byte{byte(fcs)}
	case fcs < 256:
		field = binary.LittleEndian.AppendUint32(nil, uint32(fcs))
		b[4] |= 2 << 6
	case fcs < 65536+256:
		field = binary.LittleEndian.AppendUint16(nil, uint16(fcs-256))
		b[4] |= 1 << 6
	case fcs < 1<<32:
		field = binary.LittleEndian.AppendUint32(nil, uint32(fcs))
		b[4] |= 2 << 6
	default:
		field = binary.LittleEndian.AppendUint64(nil, uint64(fcs))
		b[4] |= 3 << 6
	}
	if windowLog == 0 {
		b[4] |= 1 << 5
	} else {
		b = append(b, byte(windowLog-10)<<3)
	}
	if fhdExtra&3 != 0 {
		b = append(b, 7) // a one-byte dictionary id
	}
	return append(b, field...)
}

// zstdBlock builds a block (RFC 8878 3.1.1.2): typ 0 raw, 1 RLE, 2
// compressed, 3 reserved; size is the Block_Size field; data its content.
func zstdBlock(last bool, typ, size int, data ...byte) []byte {
	bh := uint32(typ)<<1 | uint32(size)<<3
	if last {
		bh |= 1
	}
	return append([]byte{byte(bh), byte(bh >> 8), byte(bh >> 16)}, data...)
}

// rleBlocks returns n RLE blocks of size bytes each, the last one marked.
func rleBlocks(n, size int) []byte {
	var b []byte
	for i := range n {
		b = append(b, zstdBlock(i == n-1, 1, size, 0)...)
	}
	return b
}

// compressedFrame wraps z, a compressed payload, in a CALL frame with
// FlagCompressed, sealed with testKey at sequence 0 if sealed.
func compressedFrame(tb testing.TB, sealed bool, z []byte) []byte {
	tb.Helper()
	h := Header{Type: TypeCall, Flags: FlagCompressed, ID: 1}
	if sealed {
		return sealByHand(newGCM(tb), 0, h, z)
	}
	body := rawBody(h.Type, h.Flags, 0, h.ID, z)
	return rawFrame(uint32(len(body)), body...)
}

// compressedReader returns a Reader of in with decompression on.
func compressedReader(tb testing.TB, in []byte, max int, sealed bool) *Reader {
	tb.Helper()
	r := NewReader(bytes.NewReader(in), max)
	if sealed {
		r.SetAEAD(newGCM(tb))
	}
	r.SetDecompression(true)
	return r
}

// wireFrames returns, for each frame of a plain stream, whether it carries
// FlagCompressed, and each frame's body length.
func wireFrames(tb testing.TB, stream []byte) (compressed []bool, bodies []int) {
	for _, f := range splitFrames(tb, stream) {
		compressed = append(compressed, len(f) > 5 && Flags(f[5])&FlagCompressed != 0)
		bodies = append(bodies, len(f)-4)
	}
	return compressed, bodies
}

func TestCompressedRoundTrip(t *testing.T) {
	sizes := []int{0, 64, 1 << 10, 64 << 10, 1 << 20}
	kinds := []struct {
		name string
		gen  func(n int) []byte
	}{
		{"json", jsonLike},
		{"random", func(n int) []byte { return randomBytes(uint64(n), n) }},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var stream bytes.Buffer
			w := m.writer(t, &stream)
			w.SetCompression(1)
			var cases []roundTripCase
			for _, k := range kinds {
				for i, n := range sizes {
					p := k.gen(n)
					parts := [][]byte{p}
					if i%2 == 1 { // also go through the joining of parts
						parts = [][]byte{p[:n/3], nil, p[n/3:]}
					}
					cases = append(cases, roundTripCase{fmt.Sprintf("%s/%d", k.name, n), Header{Type: TypeReply, ID: uint64(len(cases))}, parts})
				}
			}
			writeFrames(t, w, cases)

			flags, bodies := wireFrames(t, stream.Bytes())
			overhead := 0
			if m.sealed {
				overhead = 16
			}
			for i, c := range cases {
				plainBody := BodyHeaderSize + len(c.want()) + overhead
				shrunk := bodies[i] < plainBody
				if !shrunk && bodies[i] != plainBody {
					t.Errorf("%s: body of %d bytes, uncompressed would be %d", c.name, bodies[i], plainBody)
				}
				if !m.sealed && flags[i] != shrunk {
					t.Errorf("%s: FlagCompressed=%v but body %d of %d bytes", c.name, flags[i], bodies[i], plainBody)
				}
				switch n := len(c.want()); {
				case n == 0 || strings.HasPrefix(c.name, "random"):
					if shrunk {
						t.Errorf("%s: compressed", c.name)
					}
				case n >= 1<<10:
					if !shrunk {
						t.Errorf("%s: sent uncompressed", c.name)
					}
				}
				t.Logf("%s: body %d -> %d bytes", c.name, plainBody, bodies[i])
			}

			r := m.reader(t, &stream)
			r.SetDecompression(true)
			expectFrames(t, r, cases) // headers come back with FlagCompressed cleared
		})
	}
}

func TestCompressionThreshold(t *testing.T) {
	p := jsonLike(4096)
	tests := []struct {
		name      string
		threshold int // 0: SetCompression is not called
		payload   int
		want      bool // compressed on the wire
	}{
		{"off by default", 0, 4096, false},
		{"negative", -1, 4096, false},
		{"below", 1000, 999, false},
		{"at", 1000, 1000, true},
		{"above", 1000, 4096, true},
		{"threshold 1, tiny payload", 1, 10, false}, // compressing would not shrink it
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stream bytes.Buffer
			w := NewWriter(&stream, 0)
			if tt.threshold != 0 {
				w.SetCompression(tt.threshold)
			}
			if err := w.WriteFrame(Header{Type: TypeCall, ID: 3}, p[:tt.payload]); err != nil {
				t.Fatal(err)
			}
			flags, _ := wireFrames(t, stream.Bytes())
			if flags[0] != tt.want {
				t.Fatalf("compressed = %v, want %v", flags[0], tt.want)
			}
			r := compressedReader(t, stream.Bytes(), 0, false)
			h, b, err := r.ReadFrame()
			if err != nil || h != (Header{Type: TypeCall, ID: 3}) || !bytes.Equal(b.B, p[:tt.payload]) {
				t.Fatalf("ReadFrame() = %+v, %v", h, err)
			}
			b.Release()
		})
	}
	// Turning it off again.
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	w.SetCompression(1)
	w.SetCompression(0)
	if err := w.WriteFrame(Header{Type: TypeCall}, p); err != nil {
		t.Fatal(err)
	}
	if flags, _ := wireFrames(t, stream.Bytes()); flags[0] {
		t.Fatal("compressed after SetCompression(0)")
	}
}

// TestCompressedWithoutDecompression checks that a Reader that did not
// agree to compression refuses a compressed frame.
func TestCompressedWithoutDecompression(t *testing.T) {
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			var stream bytes.Buffer
			w := NewWriter(&stream, 0)
			r := NewReader(&stream, 0)
			if sealed {
				w.SetAEAD(newGCM(t))
				r.SetAEAD(newGCM(t))
			}
			w.SetCompression(1)
			if err := w.WriteFrame(Header{Type: TypeCall, ID: 1}, jsonLike(4096)); err != nil {
				t.Fatal(err)
			}
			_, _, err := r.ReadFrame()
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "compression not agreed") {
				t.Fatalf("ReadFrame() = %v, want ErrMalformed (compression not agreed)", err)
			}
		})
	}
}

// TestCompressedFlagFromCaller checks that the caller cannot set
// FlagCompressed itself, with or without compression on.
func TestCompressedFlagFromCaller(t *testing.T) {
	w := NewWriter(io.Discard, 0)
	for _, threshold := range []int{0, 1} {
		w.SetCompression(threshold)
		if err := w.WriteFrame(Header{Type: TypeCall, Flags: FlagCompressed}, jsonLike(100)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("threshold %d: WriteFrame(FlagCompressed) = %v, want ErrMalformed", threshold, err)
		}
	}
}

// TestCompressedMax checks that the maximum applies to the uncompressed
// payload on the writer, and that the reader accepts exactly up to it.
func TestCompressedMax(t *testing.T) {
	const max = 4096
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			limit := max - BodyHeaderSize
			if sealed {
				limit -= 16
			}
			var stream bytes.Buffer
			w := NewWriter(&stream, max)
			if sealed {
				w.SetAEAD(newGCM(t))
			}
			w.SetCompression(1)
			zeros := make([]byte, limit+1)
			if err := w.WriteFrame(Header{Type: TypeCall, ID: 1}, zeros); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("WriteFrame(%d zeros) = %v, want ErrTooLarge", limit+1, err)
			}
			if stream.Len() != 0 {
				t.Fatal("refused frame was written")
			}
			if err := w.WriteFrame(Header{Type: TypeCall, ID: 2}, zeros[:limit]); err != nil {
				t.Fatalf("WriteFrame(%d zeros) = %v", limit, err)
			}
			if stream.Len() > 100 {
				t.Fatalf("%d zeros took %d bytes", limit, stream.Len())
			}
			r := compressedReader(t, stream.Bytes(), max, sealed)
			_, b, err := r.ReadFrame()
			if err != nil || len(b.B) != limit {
				t.Fatalf("ReadFrame() = %v", err)
			}
			b.Release()
		})
	}
}

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

	tests := []struct {
		name string
		z    []byte
	}{
		{"empty", nil},
		{"not zstd", []byte("this is not a zstd frame at all")},
		{"magic only", good[:4]},
		{"header only", good[:hdr.HeaderSize]},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"two frames", append(bytes.Clone(small), small...)},
		{"skippable frame", skippable},
		{"skippable after frame", append(bytes.Clone(small), skippable...)},
		{"dictionary", append(zstdHeader(10, -1, 1), zstdBlock(true, 0, 1, 'x')...)},
		{"reserved header bit", append(zstdHeader(10, -1, 1<<3), zstdBlock(true, 0, 1, 'x')...)},
		{"reserved block type", append(zstdHeader(10, -1, 0), zstdBlock(true, 3, 1, 'x')...)},
		{"no last block", append(zstdHeader(10, -1, 0), zstdBlock(false, 0, 1, 'x')...)},
		{"raw block over window", append(zstdHeader(10, -1, 0), zstdBlock(true, 0, 2000, make([]byte, 2000)...)...)},
		{"compressed block of 1 byte", append(zstdHeader(10, -1, 0), zstdBlock(true, 2, 1, 0)...)},
		{"declares 100, holds 50", append(zstdHeader(0, 100, 0), zstdBlock(true, 0, 50, make([]byte, 50)...)...)},
		{"declares one byte less", lying},
		{"checksum missing", withCRC[:len(withCRC)-4]},
		{"checksum wrong", badCRC},
		{"garbage block", append(zstdHeader(10, -1, 0), zstdBlock(true, 2, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)...)},
	}
	for _, sealed := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("sealed=%v/%s", sealed, tt.name), func(t *testing.T) {
				r := compressedReader(t, compressedFrame(t, sealed, tt.z), 0, sealed)
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

// TestCompressedSmallMax checks compression with a maximum below the
// smallest zstd window.
func TestCompressedSmallMax(t *testing.T) {
	const max = 256
	var stream bytes.Buffer
	w := NewWriter(&stream, max)
	w.SetCompression(1)
	payloads := [][]byte{make([]byte, max-BodyHeaderSize), []byte(strings.Repeat("ab", 100)), jsonLike(200)}
	for _, p := range payloads {
		if err := w.WriteFrame(Header{Type: TypeCall}, p); err != nil {
			t.Fatal(err)
		}
	}
	flags, _ := wireFrames(t, stream.Bytes())
	if !flags[0] || !flags[1] {
		t.Fatalf("compressed %v, want the first two", flags)
	}
	r := compressedReader(t, stream.Bytes(), max, false)
	for i, p := range payloads {
		_, b, err := r.ReadFrame()
		if err != nil || !bytes.Equal(b.B, p) {
			t.Fatalf("frame %d: %v", i, err)
		}
		b.Release()
	}
}

// TestCompressedPartsReusable checks that a compressed frame queued behind
// a blocked write no longer needs the caller's parts, and that a big
// compressed frame sent directly arrives intact.
func TestCompressedPartsReusable(t *testing.T) {
	g := newGateWriter()
	w := NewWriter(g, 0)
	w.SetCompression(1)
	done := startBlocked(t, w, g)
	small := jsonLike(4096)
	big := jsonLike(4 << 20) // compresses to more than directPayload
	parts := [][][]byte{{bytes.Clone(small)}, {bytes.Clone(big[:100]), bytes.Clone(big[100:])}}
	for i, p := range parts {
		if err := w.WriteFrame(Header{Type: TypeCall, ID: uint64(i + 1)}, p...); err != nil {
			t.Fatal(err)
		}
		for _, b := range p {
			clear(b)
		}
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Now idle: the big one goes out from the Writer's own buffer.
	bigParts := [][]byte{bytes.Clone(big)}
	if err := w.WriteFrame(Header{Type: TypeCall, ID: 3}, bigParts...); err != nil {
		t.Fatal(err)
	}
	clear(bigParts[0])
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := compressedReader(t, g.all(), 0, false)
	for i, want := range [][]byte{nil, small, big, big} {
		h, b, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if h.ID != uint64(i) || !bytes.Equal(b.B, want) {
			t.Fatalf("frame %d (id %d) garbled", i, h.ID)
		}
		b.Release()
	}
}

// TestCompressedConcurrent has many goroutines write compressible and
// incompressible frames of all sizes at once, and checks that each
// goroutine's frames arrive intact and in order.
func TestCompressedConcurrent(t *testing.T) {
	const goroutines, perG = 32, 40
	big := jsonLike(1 << 20)
	noise := randomBytes(7, 128<<10)
	payload := func(g, i int) []byte {
		switch (g + i) % 8 {
		case 0:
			return noise[(g*perG+i)%1000:]
		case 1:
			return big[(g*perG+i)%1000:]
		default:
			off := (g*perG + i) % 5000
			return big[off : off+(g*perG+i)%3000]
		}
	}
	for _, sealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("sealed=%v", sealed), func(t *testing.T) {
			a, b := conntest.TCP(t)
			w, r := NewWriter(a, 0), NewReader(b, 0)
			if sealed {
				w.SetAEAD(newGCM(t))
				r.SetAEAD(newGCM(t))
			}
			w.SetCompression(512)
			r.SetDecompression(true)
			writeConcurrently(t, w, r, goroutines, perG, payload)
		})
	}
}

// TestCompressedAllocs checks that a compressed 4 KiB frame, too, costs no
// allocation once the pools are warm.
func TestCompressedAllocs(t *testing.T) {
	var lb loopback
	w, r := NewWriter(&lb, 0), NewReader(&lb, 0)
	w.SetCompression(1)
	r.SetDecompression(true)
	checkNoAllocs(t, w, r, jsonLike(4096))
}
