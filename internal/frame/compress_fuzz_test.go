package frame

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzReaderCompressed")

// compressedSeeds returns named inputs for FuzzReaderCompressed: valid
// streams from a compressing Writer, and hand-made bombs and malformed
// frames. The name's prefix says what a Reader with a maximum of fuzzMax
// must make of it: "valid" read to io.EOF, "bomb" ErrTooLarge, "malformed"
// ErrMalformed.
func compressedSeeds(tb testing.TB) []compressedSeed {
	tb.Helper()
	var seeds []compressedSeed
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
		seeds = append(seeds, compressedSeed{fmt.Sprintf("valid-stream-sealed-%v", sealed), buf.Bytes(), sealed})
	}
	// A frame from another zstd encoder: streamed, no declared size.
	seeds = append(seeds, compressedSeed{"valid-streamed-no-size", compressedFrame(tb, false, zstdStream(tb, jsonLike(2000), 1<<10)), false})

	zeros := make([]byte, 4*fuzzMax)
	seeds = append(seeds,
		compressedSeed{"bomb-declares-1GiB", compressedFrame(tb, false, append(zstdHeader(0, 1<<30, 0), zstdBlock(true, 1, 128<<10, 0)...)), false},
		compressedSeed{"bomb-window-1GiB", compressedFrame(tb, false, append(zstdHeader(30, -1, 0), zstdBlock(true, 1, 128<<10, 0)...)), false},
		compressedSeed{"bomb-zeros-declared", compressedFrame(tb, false, zstdEncode(tb, zeros)), false},
		compressedSeed{"bomb-zeros-streamed", compressedFrame(tb, false, zstdStream(tb, zeros, 1<<15)), false},
		compressedSeed{"bomb-zeros-sealed", compressedFrame(tb, true, zstdEncode(tb, zeros)), true},
		compressedSeed{"bomb-rle-blocks", compressedFrame(tb, false, append(zstdHeader(15, -1, 0), rleBlocks(16, 32<<10)...)), false},
	)
	small := zstdEncode(tb, []byte("hello, hello, hello, hello"))
	seeds = append(seeds,
		compressedSeed{"malformed-two-frames", compressedFrame(tb, false, append(bytes.Clone(small), small...)), false},
		compressedSeed{"malformed-trailing", compressedFrame(tb, false, append(bytes.Clone(small), 0)), false},
		compressedSeed{"malformed-skippable", compressedFrame(tb, false, []byte{0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 1, 2}), false},
		compressedSeed{"malformed-not-zstd", compressedFrame(tb, true, []byte("not zstd")), true},
	)
	return seeds
}

type compressedSeed struct {
	name   string
	data   []byte
	sealed bool
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
		r := NewReader(bytes.NewReader(data), fuzzMax)
		var again bytes.Buffer
		w := NewWriter(&again, fuzzMax)
		limit := fuzzMax - BodyHeaderSize
		if sealed {
			r.SetAEAD(newGCM(t))
			w.SetAEAD(newGCM(t))
			limit -= 16
		}
		r.SetDecompression(true)
		w.SetCompression(1)
		type frame struct {
			h Header
			p []byte
		}
		var accepted []frame
		var err error
		for {
			var h Header
			var b *Buffer
			h, b, err = r.ReadFrame()
			if err != nil {
				break
			}
			if len(b.B) > limit {
				t.Fatalf("payload of %d bytes over the limit %d", len(b.B), limit)
			}
			if h.Flags != 0 {
				t.Fatalf("ReadFrame returned flags %#x", h.Flags)
			}
			accepted = append(accepted, frame{h, bytes.Clone(b.B)})
			b.Release()
		}
		switch {
		case err == io.EOF,
			errors.Is(err, io.ErrUnexpectedEOF),
			errors.Is(err, ErrTooLarge),
			errors.Is(err, ErrMalformed),
			errors.Is(err, ErrAuthFailed):
		default:
			t.Fatalf("undocumented error %v", err)
		}
		if _, _, err2 := r.ReadFrame(); err2 != err {
			t.Fatalf("error not sticky: %v then %v", err, err2)
		}

		for _, fr := range accepted {
			if werr := w.WriteFrame(fr.h, fr.p); werr != nil {
				t.Fatalf("accepted frame %+v does not re-encode: %v", fr.h, werr)
			}
		}
		r2 := NewReader(&again, fuzzMax)
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

const compressedCorpus = "testdata/fuzz/FuzzReaderCompressed"

// TestCompressedSeedFiles checks that the checked-in seed corpus is what its
// file names say (valid, bomb or malformed) and covers every generated seed;
// -update-seeds rewrites it.
func TestCompressedSeedFiles(t *testing.T) {
	if *updateSeeds {
		if err := os.MkdirAll(compressedCorpus, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range compressedSeeds(t) {
			text := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbool(%v)\n", s.data, s.sealed)
			if err := os.WriteFile(filepath.Join(compressedCorpus, s.name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	names := map[string]bool{}
	for _, s := range compressedSeeds(t) {
		names[s.name] = true
	}
	files, err := os.ReadDir(compressedCorpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range files {
		delete(names, fi.Name())
		data, sealed := readSeedFile(t, filepath.Join(compressedCorpus, fi.Name()))
		r := NewReader(bytes.NewReader(data), fuzzMax)
		if sealed {
			r.SetAEAD(newGCM(t))
		}
		r.SetDecompression(true)
		for {
			_, b, err := r.ReadFrame()
			if err == nil {
				b.Release()
				continue
			}
			var want error
			switch kind, _, _ := strings.Cut(fi.Name(), "-"); kind {
			case "valid":
				want = io.EOF
			case "bomb":
				want = ErrTooLarge
			case "malformed":
				want = ErrMalformed
			default:
				t.Fatalf("%s: unknown kind %q", fi.Name(), kind)
			}
			if !errors.Is(err, want) {
				t.Errorf("%s: ReadFrame() = %v, want %v", fi.Name(), err, want)
			}
			break
		}
	}
	for name := range names {
		t.Errorf("seed %s missing from %s (run with -update-seeds)", name, compressedCorpus)
	}
}

// readSeedFile parses a corpus file of FuzzReaderCompressed.
func readSeedFile(t *testing.T, path string) ([]byte, bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0] != "go test fuzz v1" ||
		!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		t.Fatalf("%s: not a FuzzReaderCompressed corpus file", path)
	}
	data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sealed, err := strconv.ParseBool(strings.TrimSuffix(strings.TrimPrefix(lines[2], "bool("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(data), sealed
}
