package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"runtime"
	"testing"
	"testing/iotest"
)

func TestReaderLengthPrefix(t *testing.T) {
	const max = 1024
	full := func(length uint32) []byte {
		return rawFrame(length, rawBody(TypeCall, 0, 0, 1, make([]byte, length-BodyHeaderSize))...)
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr error // nil: a frame with wantLen payload bytes
		wantLen int
	}{
		{"length 0", rawFrame(0), ErrMalformed, 0},
		{"length 11", rawFrame(11, make([]byte, 11)...), ErrMalformed, 0},
		{"length 12", full(12), nil, 0},
		{"length max", full(max), nil, max - BodyHeaderSize},
		{"length max+1", rawFrame(max + 1), ErrTooLarge, 0},
		{"length 0xFFFFFFFF", rawFrame(0xFFFFFFFF), ErrTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tt.in), max)
			_, b, err := r.ReadFrame()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadFrame() error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadFrame() = %v", err)
			}
			defer b.Release()
			if len(b.B) != tt.wantLen {
				t.Fatalf("payload %d bytes, want %d", len(b.B), tt.wantLen)
			}
		})
	}
}

// TestReaderOversizeDoesNotAllocate checks that a hostile length prefix is
// refused before anything is allocated for the body.
func TestReaderOversizeDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length uint32
	}{
		{"default max+1", DefaultMaxSize + 1},
		{"0xFFFFFFFF", 0xFFFFFFFF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(rawFrame(tc.length)), 0)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := r.ReadFrame()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("ReadFrame() = %v, want ErrTooLarge", err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
				t.Fatalf("allocated %d bytes for a refused %d-byte frame", grew, tc.length)
			}
		})
	}
}

func TestReaderMalformed(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"type 0", rawBody(0, 0, 0, 1, nil)},
		{"type 8", rawBody(8, 0, 0, 1, nil)},
		{"type 255", rawBody(255, 0, 0, 1, nil)},
		{"unknown flag", rawBody(TypeCall, 1<<1, 0, 1, nil)},
		{"compressed not agreed", rawBody(TypeCall, FlagCompressed, 0, 1, []byte("x"))},
		{"reserved high", rawBody(TypeCall, 0, 0x8000, 1, nil)},
		{"reserved low", rawBody(TypeCall, 0, 1, 1, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := rawFrame(uint32(len(tt.body)), tt.body...)
			r := NewReader(bytes.NewReader(in), 0)
			if _, _, err := r.ReadFrame(); !errors.Is(err, ErrMalformed) {
				t.Fatalf("ReadFrame() = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestReaderTruncated(t *testing.T) {
	valid := rawFrame(BodyHeaderSize+5, rawBody(TypeCall, 0, 0, 1, []byte("hello"))...)
	for _, sealed := range []bool{false, true} {
		if sealed {
			var stream bytes.Buffer
			w := NewWriter(&stream, 0)
			w.SetAEAD(newGCM(t))
			if err := w.WriteFrame(Header{Type: TypeCall, ID: 1}, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			valid = stream.Bytes()
		}
		for cut := 1; cut < len(valid); cut++ {
			r := NewReader(bytes.NewReader(valid[:cut]), 0)
			if sealed {
				r.SetAEAD(newGCM(t))
			}
			_, _, err := r.ReadFrame()
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("sealed=%v, cut at %d of %d: ReadFrame() = %v, want io.ErrUnexpectedEOF", sealed, cut, len(valid), err)
			}
		}
	}
}

func TestReaderCleanEOF(t *testing.T) {
	two := append(rawFrame(BodyHeaderSize, rawBody(TypePing, 0, 0, 0, nil)...),
		rawFrame(BodyHeaderSize, rawBody(TypePong, 0, 0, 0, nil)...)...)
	for _, in := range [][]byte{nil, two} {
		r := NewReader(bytes.NewReader(in), 0)
		for range len(in) / HeaderSize {
			_, b, err := r.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			b.Release()
		}
		if _, _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("ReadFrame() = %v, want exactly io.EOF", err)
		}
	}
}

// TestReaderSticky checks that a Reader stays broken after an error, since
// it no longer knows where the next frame starts.
func TestReaderSticky(t *testing.T) {
	in := append(rawBody(0, 0, 0, 0, nil), rawFrame(BodyHeaderSize, rawBody(TypePing, 0, 0, 0, nil)...)...)
	in = append(rawFrame(BodyHeaderSize), in...)
	r := NewReader(bytes.NewReader(in), 0)
	_, _, err1 := r.ReadFrame()
	_, _, err2 := r.ReadFrame()
	if !errors.Is(err1, ErrMalformed) || err2 != err1 {
		t.Fatalf("errors %v then %v, want the same ErrMalformed twice", err1, err2)
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

func TestReaderUnderlyingError(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(bytes.NewReader([]byte{0, 0}), failingReader{boom}), 0)
	if _, _, err := r.ReadFrame(); !errors.Is(err, boom) {
		t.Fatalf("ReadFrame() = %v, want %v", err, boom)
	}
}

func TestNewReaderMax(t *testing.T) {
	tests := []struct {
		in   int
		want uint32
	}{
		{0, DefaultMaxSize},
		{-1, DefaultMaxSize},
		{100, 100},
		{math.MaxInt, uint32(min(uint64(math.MaxInt), math.MaxUint32))},
	}
	for _, tt := range tests {
		if got := NewReader(nil, tt.in).max; got != tt.want {
			t.Errorf("NewReader(nil, %d).max = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// A peer that declares a frame far larger than it sends makes the reader
// hold what arrived (about twice at most), not what was declared.
func TestDeclaredSizeNotAllocatedUpFront(t *testing.T) {
	const declared = 64 << 20
	var frame bytes.Buffer
	binary.Write(&frame, binary.BigEndian, uint32(declared))
	frame.Write([]byte{byte(TypeCall), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	frame.Write(make([]byte, 3<<20)) // 3 MiB of the 64 MiB, then the stream ends
	r := NewReader(&frame, declared+BodyHeaderSize)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := r.ReadFrame()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v; want unexpected EOF", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Fatalf("reader allocated %d MiB for a frame that sent 3 MiB", grew>>20)
	}
}

// Bodies above the eager size still arrive whole, byte for byte.
func TestLargeBodyGrowsIntact(t *testing.T) {
	payload := make([]byte, 5<<20+123)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, 8<<20)
	if err := w.WriteFrame(Header{Type: TypeReply, ID: 9}, payload); err != nil {
		t.Fatal(err)
	}
	r := NewReader(iotest.HalfReader(&buf), 8<<20)
	h, b, err := r.ReadFrame()
	if err != nil || h.ID != 9 || !bytes.Equal(b.B, payload) {
		t.Fatalf("ReadFrame = %v, %d bytes, %v", h, len(b.B), err)
	}
	b.Release()
}

// NextEmpty tells a frame without payload from one with, plain or sealed,
// from its length alone, at any cut of the stream (a timeout loses
// nothing), and consumes nothing: ReadFrame still returns each frame.
func TestReaderNextEmpty(t *testing.T) {
	frames := []struct {
		h       Header
		payload []byte
	}{
		{Header{Type: TypeCall, ID: 1}, []byte("\x00\x01m")},
		{Header{Type: TypeCancel, ID: 1}, nil},
		{Header{Type: TypePing, ID: 2}, nil},
		{Header{Type: TypeCall, ID: 3}, []byte{0}},
	}
	for _, sealed := range []bool{false, true} {
		var stream bytes.Buffer
		w := NewWriter(&stream, 0)
		if sealed {
			w.SetAEAD(newGCM(t))
		}
		for _, f := range frames {
			if err := w.WriteFrame(f.h, f.payload); err != nil {
				t.Fatal(err)
			}
		}
		data := stream.Bytes()
		for cut := range len(data) {
			r := NewReader(&stutterReader{data: bytes.Clone(data), cut: cut}, 0)
			if sealed {
				r.SetAEAD(newGCM(t))
			}
			for i, f := range frames {
				empty, err := r.NextEmpty()
				if errors.Is(err, os.ErrDeadlineExceeded) {
					empty, err = r.NextEmpty()
				}
				if err != nil || empty != (len(f.payload) == 0) {
					t.Fatalf("sealed %v, cut %d, frame %d: NextEmpty = %v, %v", sealed, cut, i, empty, err)
				}
				h, buf, err := r.ReadFrame()
				if errors.Is(err, os.ErrDeadlineExceeded) {
					h, buf, err = r.ReadFrame()
				}
				if err != nil || h != f.h || !bytes.Equal(buf.B, f.payload) {
					t.Fatalf("sealed %v, cut %d, frame %d: ReadFrame = %v, %q, %v", sealed, cut, i, h, buf.B, err)
				}
				buf.Release()
			}
			if _, err := r.NextEmpty(); err != io.EOF {
				t.Fatalf("sealed %v, cut %d: NextEmpty at the end = %v, want io.EOF", sealed, cut, err)
			}
		}
	}
}

// failOnce fails its first Read with err, then reads from rest.
type failOnce struct {
	err  error
	rest io.Reader
}

func (f *failOnce) Read(p []byte) (int, error) {
	if err := f.err; err != nil {
		f.err = nil
		return 0, err
	}
	return f.rest.Read(p)
}

// An error that NextEmpty meets stays the Reader's: the next ReadFrame
// fails with it, as it would have met it itself, and does not go on to
// read the stream after it (where a reset could end in a clean io.EOF).
func TestNextEmptyErrorSticks(t *testing.T) {
	var buf bytes.Buffer
	if err := NewWriter(&buf, 0).WriteFrame(Header{Type: TypeCall, ID: 1}, []byte("x")); err != nil {
		t.Fatal(err)
	}
	reset := errors.New("connection reset")
	r := NewReader(&failOnce{err: reset, rest: &buf}, 0)
	if _, err := r.NextEmpty(); !errors.Is(err, reset) {
		t.Fatalf("NextEmpty = %v; want the reset", err)
	}
	if h, _, err := r.ReadFrame(); !errors.Is(err, reset) {
		t.Fatalf("ReadFrame after NextEmpty met a reset: %+v, %v; want the reset", h, err)
	}
}
