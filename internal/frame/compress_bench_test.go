package frame

import (
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// benchKinds are the payloads of the compression benchmarks: realistic JSON
// and incompressible bytes.
var benchKinds = []struct {
	name string
	gen  func(n int) []byte
}{
	{"json", jsonLike},
	{"random", func(n int) []byte { return randomBytes(9, n) }},
}

var benchSizes = []int{64, 1 << 10, 4 << 10, 64 << 10, 1 << 20}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// BenchmarkZstd measures compress and decompress alone (SpeedFastest, the
// Writer's and Reader's pooled coders). MB/s is of uncompressed bytes;
// ratio is uncompressed/compressed size of the zstd frame, whether or not
// the Writer would send it (it does not when the ratio is <= 1). For
// random data, encode is the cost of finding out that it does not shrink.
func BenchmarkZstd(b *testing.B) {
	for _, k := range benchKinds {
		for _, n := range benchSizes {
			src := k.gen(n)
			enc := encoders.Get().(*zstd.Encoder)
			z := enc.EncodeAll(src, nil)
			encoders.Put(enc)
			ratio := float64(n) / float64(len(z))
			b.Run(fmt.Sprintf("%s/%s/encode", k.name, sizeName(n)), func(b *testing.B) {
				parts := [][]byte{src}
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					compress(parts, n).Release()
				}
				b.ReportMetric(ratio, "ratio")
			})
			b.Run(fmt.Sprintf("%s/%s/decode", k.name, sizeName(n)), func(b *testing.B) {
				p := decodersFor(DefaultMaxSize)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					out, err := decompress(p, z, DefaultMaxSize-BodyHeaderSize)
					if err != nil || len(out.B) != n {
						b.Fatal(err)
					}
					out.Release()
				}
				b.ReportMetric(ratio, "ratio")
			})
		}
	}
}

// BenchmarkWriteReadCompressed is BenchmarkWriteRead with compression on
// both ends, for JSON payloads.
func BenchmarkWriteReadCompressed(b *testing.B) {
	for _, n := range []int{1 << 10, 64 << 10, 1 << 20} {
		b.Run(sizeName(n), func(b *testing.B) {
			var lb loopback
			w, r := NewWriter(&lb, 0), NewReader(&lb, 0)
			w.SetCompression(1)
			r.SetDecompression(true)
			benchWriteRead(b, w, r, jsonLike(n))
		})
	}
}
