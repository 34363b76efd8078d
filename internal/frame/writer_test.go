package frame

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// recordingWriter keeps every Write call's bytes separately, so tests can
// count system calls and see what was batched.
type recordingWriter struct {
	mu     sync.Mutex
	writes [][]byte
	alias  []bool // whether the call's slice was the caller's, uncopied
	watch  []byte // a slice whose direct use should be noticed
}

func (r *recordingWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, bytes.Clone(p))
	r.alias = append(r.alias, len(p) > 0 && len(r.watch) > 0 && &p[0] == &r.watch[0])
	return len(p), nil
}

func (r *recordingWriter) all() []byte { return bytes.Join(r.writes, nil) }

// gateWriter blocks its first Write until released, so a test can hold the
// flusher inside a write while other goroutines queue frames.
type gateWriter struct {
	recordingWriter
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGateWriter() *gateWriter {
	return &gateWriter{entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gateWriter) Write(p []byte) (int, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.entered)
		<-g.release
	}
	return g.recordingWriter.Write(p)
}

// startBlocked makes w's first frame block inside Write and returns a
// channel with that WriteFrame's result.
func startBlocked(t *testing.T, w *Writer, g *gateWriter) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- w.WriteFrame(Header{Type: TypePing, ID: 0}) }()
	<-g.entered
	return done
}

func readAll(t *testing.T, b []byte) []Header {
	t.Helper()
	r := NewReader(bytes.NewReader(b), 0)
	var hs []Header
	for {
		h, buf, err := r.ReadFrame()
		if err == io.EOF {
			return hs
		}
		if err != nil {
			t.Fatal(err)
		}
		buf.Release()
		hs = append(hs, h)
	}
}

func TestWriterLoneCallerOneWrite(t *testing.T) {
	var rec recordingWriter
	w := NewWriter(&rec, 0)
	for i := range 5 {
		if err := w.WriteFrame(Header{Type: TypeCall, ID: uint64(i)}, []byte("req"), pattern(i, 100)); err != nil {
			t.Fatal(err)
		}
		if len(rec.writes) != i+1 {
			t.Fatalf("after %d frames: %d writes", i+1, len(rec.writes))
		}
	}
}

func TestWriterCoalesces(t *testing.T) {
	g := newGateWriter()
	w := NewWriter(g, 0)
	done := startBlocked(t, w, g)
	const queued = 10
	for i := range queued {
		// Returns at once: the flusher is busy and will pick the frame up.
		if err := w.WriteFrame(Header{Type: TypeCall, ID: uint64(i + 1)}, pattern(i, 50)); err != nil {
			t.Fatal(err)
		}
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(g.writes) != 2 {
		t.Fatalf("%d writes for %d frames, want 2", len(g.writes), queued+1)
	}
	hs := readAll(t, g.all())
	if len(hs) != queued+1 {
		t.Fatalf("%d frames arrived, want %d", len(hs), queued+1)
	}
	for i, h := range hs {
		if h.ID != uint64(i) {
			t.Fatalf("frame %d has id %d: out of order", i, h.ID)
		}
	}
}

func TestWriterFlushWaits(t *testing.T) {
	g := newGateWriter()
	w := NewWriter(g, 0)
	done := startBlocked(t, w, g)
	if err := w.WriteFrame(Header{Type: TypeCall, ID: 1}); err != nil {
		t.Fatal(err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- w.Flush() }()
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned %v while the write was blocked", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(g.release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if n := len(readAll(t, g.all())); n != 2 {
		t.Fatalf("Flush returned with %d frames written, want 2", n)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestWriterDirect checks that an idle Writer sends a large plain payload
// from the caller's slice, without copying it.
func TestWriterDirect(t *testing.T) {
	payload := pattern(1, directPayload)
	rec := &recordingWriter{watch: payload}
	w := NewWriter(rec, 0)
	if err := w.WriteFrame(Header{Type: TypeReply, ID: 5}, []byte("pre"), payload); err != nil {
		t.Fatal(err)
	}
	aliased := false
	for _, a := range rec.alias {
		aliased = aliased || a
	}
	if !aliased {
		t.Fatal("large payload was copied")
	}
	r := NewReader(bytes.NewReader(rec.all()), 0)
	h, b, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if h.ID != 5 || !bytes.Equal(b.B, append([]byte("pre"), payload...)) {
		t.Fatal("direct frame garbled")
	}
}

// buffersRecorder is a destination that takes several slices in one call
// (BuffersWriter), recording each call's slices.
type buffersRecorder struct {
	recordingWriter
	calls [][][]byte
}

func (r *buffersRecorder) WriteBuffers(v *net.Buffers) (int64, error) {
	r.calls = append(r.calls, append([][]byte(nil), *v...))
	return v.WriteTo(&r.recordingWriter)
}

// TestWriterDirectOneCall checks that a direct frame reaches a
// BuffersWriter as one call holding the header and the caller's payload.
func TestWriterDirectOneCall(t *testing.T) {
	payload := pattern(2, directPayload)
	rec := &buffersRecorder{recordingWriter: recordingWriter{watch: payload}}
	w := NewWriter(rec, 0)
	if err := w.WriteFrame(Header{Type: TypeReply, ID: 6}, payload); err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 1 || len(rec.calls[0]) != 2 || &rec.calls[0][1][0] != &payload[0] {
		t.Fatalf("WriteBuffers calls %d, want one of the header and the caller's payload", len(rec.calls))
	}
	r := NewReader(bytes.NewReader(rec.all()), 0)
	h, b, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if h.ID != 6 || !bytes.Equal(b.B, payload) {
		t.Fatal("direct frame garbled")
	}
}

type errWriter struct{ err error }

func (e errWriter) Write([]byte) (int, error) { return 0, e.err }

func TestWriterErrorSticky(t *testing.T) {
	boom := errors.New("boom")
	w := NewWriter(errWriter{boom}, 0)
	for i := range 3 {
		if err := w.WriteFrame(Header{Type: TypeCall, ID: 1}, pattern(i, 10)); !errors.Is(err, boom) {
			t.Fatalf("WriteFrame #%d = %v, want %v", i, err, boom)
		}
	}
	if err := w.WriteFrame(Header{Type: TypeCall}, make([]byte, directPayload)); !errors.Is(err, boom) {
		t.Fatalf("large WriteFrame = %v, want %v", err, boom)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush = %v, want %v", err, boom)
	}
}

func TestWriterErrorWhileQueued(t *testing.T) {
	boom := errors.New("boom")
	g := &failAfterGate{gateWriter: newGateWriter(), err: boom}
	w := NewWriter(g, 0)
	done := startBlocked(t, w, g.gateWriter)
	if err := w.WriteFrame(Header{Type: TypeCall, ID: 1}); err != nil {
		t.Fatalf("queued WriteFrame = %v", err)
	}
	flushed := make(chan error, 1)
	go func() { flushed <- w.Flush() }()
	close(g.release)
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("flusher got %v, want %v", err, boom)
	}
	if err := <-flushed; !errors.Is(err, boom) {
		t.Fatalf("Flush = %v, want %v", err, boom)
	}
}

// failAfterGate fails the write that was held at the gate.
type failAfterGate struct {
	*gateWriter
	err error
}

func (f *failAfterGate) Write(p []byte) (int, error) {
	if _, err := f.gateWriter.Write(p); err != nil {
		return 0, err
	}
	return 0, f.err
}

func TestWriterRejects(t *testing.T) {
	const max = 100
	tests := []struct {
		name    string
		h       Header
		payload int
		want    error
	}{
		{"fits", Header{Type: TypeCall}, max - BodyHeaderSize, nil},
		{"one over", Header{Type: TypeCall}, max - BodyHeaderSize + 1, ErrTooLarge},
		{"way over", Header{Type: TypeCall}, 1 << 20, ErrTooLarge},
		{"type 0", Header{}, 0, ErrMalformed},
		{"type 8", Header{Type: 8}, 0, ErrMalformed},
		{"compressed", Header{Type: TypeCall, Flags: FlagCompressed}, 0, ErrMalformed},
		{"unknown flag", Header{Type: TypeCall, Flags: 4}, 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recordingWriter
			w := NewWriter(&rec, max)
			err := w.WriteFrame(tt.h, make([]byte, tt.payload))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("WriteFrame() = %v, want %v", err, tt.want)
			}
			if len(rec.writes) != 0 {
				t.Fatal("rejected frame was written")
			}
			// A refused frame is the caller's mistake, not the connection's.
			if err := w.WriteFrame(Header{Type: TypePing}); err != nil {
				t.Fatalf("WriteFrame after refusal = %v", err)
			}
		})
	}
}

// LimitSize lowers the bound to the peer's, and never raises it.
func TestWriterLimitSize(t *testing.T) {
	for _, tc := range []struct {
		name       string
		own, limit int
		want       int // the largest body written
	}{
		{"peer smaller", 200, 100, 100},
		{"peer larger", 100, 200, 100},
		{"peer none", 100, 0, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec recordingWriter
			w := NewWriter(&rec, tc.own)
			w.LimitSize(tc.limit)
			if err := w.WriteFrame(Header{Type: TypeCall}, make([]byte, tc.want-BodyHeaderSize)); err != nil {
				t.Fatalf("a body of %d: %v", tc.want, err)
			}
			if err := w.CheckSize(tc.want - BodyHeaderSize + 1); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("CheckSize of a body of %d: %v, want ErrTooLarge", tc.want+1, err)
			}
			if err := w.WriteFrame(Header{Type: TypeCall}, make([]byte, tc.want-BodyHeaderSize+1)); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("a body of %d: %v, want ErrTooLarge", tc.want+1, err)
			}
		})
	}
}

// brokenWriter takes the first room bytes it is given, then fails.
type brokenWriter struct{ room int }

var errBroken = errors.New("broken pipe")

func (b *brokenWriter) Write(p []byte) (int, error) {
	n := min(len(p), b.room)
	b.room -= n
	if n < len(p) {
		return n, errBroken
	}
	return n, nil
}

// A write error says whether any byte of the caller's own frame reached the
// connection: with ErrUnwritten only if none did, so that a caller may take
// its request as never sent, and never for a frame that went out, even in
// part. The error still matches what the write failed with.
func TestWriterErrorSaysUnwritten(t *testing.T) {
	queued := make([]byte, 100) // a frame queued before the caller's
	queuedLen := HeaderSize + len(queued)
	for _, tc := range []struct {
		name      string
		room      int  // bytes the connection takes before failing
		queue     bool // a frame is queued ahead of the caller's
		payload   int
		unwritten bool
	}{
		{"nothing taken", 0, false, 10, true},
		{"the header in part", HeaderSize / 2, false, 10, false},
		{"the payload in part", HeaderSize + 5, false, 10, false},
		{"a direct payload's header only", HeaderSize, false, directPayload, false},
		{"the frame ahead in part", queuedLen / 2, true, 10, true},
		{"the frame ahead whole", queuedLen, true, 10, true},
		{"the frame ahead and the caller's in part", queuedLen + 1, true, 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWriter(&brokenWriter{room: tc.room}, 0)
			if tc.queue {
				if err := w.QueueFrame(Header{Type: TypeCall, ID: 1}, queued); err != nil {
					t.Fatal(err)
				}
			}
			err := w.WriteFrame(Header{Type: TypeCall, ID: 2}, make([]byte, tc.payload))
			if !errors.Is(err, errBroken) {
				t.Fatalf("err = %v; want the write's own error", err)
			}
			if got := errors.Is(err, ErrUnwritten); got != tc.unwritten {
				t.Fatalf("errors.Is(%v, ErrUnwritten) = %v; want %v", err, got, tc.unwritten)
			}
			// Once the Writer has failed, no later frame is written.
			if err := w.WriteFrame(Header{Type: TypeCall, ID: 3}); !errors.Is(err, ErrUnwritten) || !errors.Is(err, errBroken) {
				t.Fatalf("a frame after the failure: %v; want ErrUnwritten and the write's error", err)
			}
		})
	}
}
