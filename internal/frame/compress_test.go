package frame

// Compression as the Writer applies it and the Reader undoes it: round
// trips, the threshold, the maximum, reuse of the parts, concurrency,
// allocations.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/uactor-go/uactor/internal/conntest"
)

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
