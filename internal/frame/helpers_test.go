package frame

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"io"
	"testing"
)

// testKey is a fixed AES-256 key so that sealed output is reproducible (the
// nonces are deterministic too), which the fuzz seeds rely on.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// newGCM returns a fresh AES-256-GCM with testKey. Each side of a test gets
// its own instance, as the two ends of a connection would.
func newGCM(tb testing.TB) cipher.AEAD {
	tb.Helper()
	a, err := testGCM()
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func testGCM() (cipher.AEAD, error) {
	block, err := aes.NewCipher(testKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// rawFrame builds a frame by hand, bypassing the Writer's checks, with the
// given length prefix and body bytes (which need not agree).
func rawFrame(length uint32, body ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, length)
	return append(b, body...)
}

// rawBody builds a plain body header followed by payload.
func rawBody(t Type, f Flags, reserved uint16, id uint64, payload []byte) []byte {
	b := []byte{byte(t), byte(f)}
	b = binary.BigEndian.AppendUint16(b, reserved)
	b = binary.BigEndian.AppendUint64(b, id)
	return append(b, payload...)
}

// splitFrames cuts a well-formed stream into its frames, using only the
// length prefixes.
func splitFrames(tb testing.TB, b []byte) [][]byte {
	tb.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			tb.Fatalf("trailing %d bytes", len(b))
		}
		n := 4 + int(binary.BigEndian.Uint32(b))
		if n > len(b) {
			tb.Fatalf("frame of %d bytes with only %d left", n, len(b))
		}
		out = append(out, b[:n:n])
		b = b[n:]
	}
	return out
}

// pattern returns n bytes that depend on seed, so that a frame delivered
// whole but with the wrong contents is caught.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i>>8)
	}
	return b
}

// loopback is an in-memory pipe for a single goroutine: Write appends, Read
// consumes, and the buffer is reused once drained so that the benchmarks do
// not allocate.
type loopback struct {
	buf []byte
	off int
}

func (l *loopback) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	return len(p), nil
}

func (l *loopback) Read(p []byte) (int, error) {
	if l.off == len(l.buf) {
		return 0, io.EOF
	}
	n := copy(p, l.buf[l.off:])
	l.off += n
	if l.off == len(l.buf) {
		l.buf, l.off = l.buf[:0], 0
	}
	return n, nil
}

// writeRead sends payload through w and takes it back out of r, which share
// a loopback: one step of the loopback benchmarks and the zero-allocation
// checks. It does not call tb.Helper, whose cost would show in the
// benchmarks.
func writeRead(tb testing.TB, w *Writer, r *Reader, payload []byte) {
	if err := w.WriteFrame(Header{Type: TypeCall, ID: 42}, payload); err != nil {
		tb.Fatal(err)
	}
	_, b, err := r.ReadFrame()
	if err != nil {
		tb.Fatal(err)
	}
	b.Release()
}

// benchWriteRead measures writeRead of payload, so the figure is the framing
// cost alone.
func benchWriteRead(b *testing.B, w *Writer, r *Reader, payload []byte) {
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		writeRead(b, w, r, payload)
	}
}

// checkNoAllocs fails t if writeRead of payload allocates once the pools are
// warm. sync.Pool drops items at random under the race detector, so the
// check only runs without it.
func checkNoAllocs(t *testing.T, w *Writer, r *Reader, payload []byte) {
	t.Helper()
	if raceEnabled {
		t.Skip("sync.Pool is randomised under -race")
	}
	if allocs := testing.AllocsPerRun(1000, func() { writeRead(t, w, r, payload) }); allocs != 0 {
		t.Fatalf("%v allocs per %d-byte write+read, want 0", allocs, len(payload))
	}
}
