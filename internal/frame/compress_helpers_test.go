package frame

// Builders of the compressed payloads and zstd streams, well-formed and not,
// that the compression tests, fuzz targets and benchmarks share.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
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

// emptyBlocks returns n compressed blocks that hold nothing (no literals,
// no sequences), the last one marked.
func emptyBlocks(n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, zstdBlock(i == n-1, 2, 2, 0x00, 0x00)...)
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
