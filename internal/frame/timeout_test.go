package frame

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// stutterReader hands out data up to cut, then fails once with a timeout,
// then hands out the rest: a read deadline passing mid-stream.
type stutterReader struct {
	data    []byte
	cut     int
	stalled bool
}

func (s *stutterReader) Read(p []byte) (int, error) {
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	if !s.stalled && s.cut == 0 {
		s.stalled = true
		return 0, os.ErrDeadlineExceeded
	}
	n := len(s.data)
	if !s.stalled {
		n = min(n, s.cut)
	}
	n = copy(p, s.data[:n])
	s.data = s.data[n:]
	s.cut -= n
	return n, nil
}

// A timeout anywhere in a frame, even between its first bytes, loses
// nothing: the next ReadFrame returns the frame whole.
func TestReaderResumesAfterTimeout(t *testing.T) {
	payload := bytes.Repeat([]byte("resumable"), 40)
	for _, sealed := range []bool{false, true} {
		var stream bytes.Buffer
		w := NewWriter(&stream, 0)
		if sealed {
			w.SetAEAD(newGCM(t))
		}
		for id := range uint64(2) {
			if err := w.WriteFrame(Header{Type: TypeCall, ID: id + 1}, payload); err != nil {
				t.Fatal(err)
			}
		}
		data := stream.Bytes()
		for cut := range len(data) {
			sr := &stutterReader{data: bytes.Clone(data), cut: cut}
			r := NewReader(sr, 0)
			if sealed {
				r.SetAEAD(newGCM(t))
			}
			for id := uint64(1); id <= 2; id++ {
				h, b, err := r.ReadFrame()
				if errors.Is(err, os.ErrDeadlineExceeded) {
					h, b, err = r.ReadFrame()
				}
				if err != nil {
					t.Fatalf("sealed=%v cut at %d: frame %d: %v", sealed, cut, id, err)
				}
				if h.ID != id || !bytes.Equal(b.B, payload) {
					t.Fatalf("sealed=%v cut at %d: got frame %d of %d bytes; want %d intact", sealed, cut, h.ID, len(b.B), id)
				}
				b.Release()
			}
			if _, _, err := r.ReadFrame(); err != io.EOF {
				t.Fatalf("sealed=%v cut at %d: after both frames: %v, want io.EOF", sealed, cut, err)
			}
		}
	}
}

// Buffered tells a reader whether another frame is already in hand.
func TestReaderBuffered(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	for id := range uint64(2) {
		if err := w.WriteFrame(Header{Type: TypeReply, ID: id + 1}, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&stream, 0)
	for _, want := range []int{HeaderSize + 1, 0} {
		_, b, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		if got := r.Buffered(); got != want {
			t.Fatalf("Buffered() = %d, want %d", got, want)
		}
	}
}

// Idle holds only between frames, with nothing buffered: not with part of a
// header or body in hand (a timeout left it there), nor with the next frame
// buffered, nor once the Reader has failed.
func TestReaderIdle(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	payload := bytes.Repeat([]byte("i"), 100)
	for id := range uint64(2) {
		if err := w.WriteFrame(Header{Type: TypeCall, ID: id + 1}, payload); err != nil {
			t.Fatal(err)
		}
	}
	data := stream.Bytes()
	for _, c := range []struct {
		name string
		cut  int
	}{
		{"nothing read", 0},
		{"part of the length", 2},
		{"part of the body header", HeaderSize - 1},
		{"part of the body", HeaderSize + 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(&stutterReader{data: bytes.Clone(data), cut: c.cut}, 0)
			if !r.Idle() {
				t.Fatal("a new Reader is not idle")
			}
			if _, _, err := r.ReadFrame(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("ReadFrame: %v; want the timeout", err)
			}
			if got, want := r.Idle(), c.cut == 0; got != want {
				t.Fatalf("after the timeout: Idle() = %v, want %v", got, want)
			}
			for id, want := range []bool{false, true} { // the second frame arrives with the first
				_, b, err := r.ReadFrame()
				if err != nil {
					t.Fatal(err)
				}
				b.Release()
				if r.Idle() != want {
					t.Fatalf("after frame %d: Idle() = %v, want %v", id+1, !want, want)
				}
			}
			if _, _, err := r.ReadFrame(); err != io.EOF || r.Idle() {
				t.Fatalf("at the end: %v, Idle() = %v; want io.EOF and false", err, r.Idle())
			}
		})
	}
}

// writeCounter counts the writes that reach it.
type writeCounter struct {
	bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

// Queued frames go out with the next frame written, in one write, or on
// Kick or Flush; FrameBuffered tells whole frames from partial ones.
func TestQueueFrame(t *testing.T) {
	for _, how := range []string{"write", "kick", "flush"} {
		t.Run(how, func(t *testing.T) {
			var out writeCounter
			w := NewWriter(&out, 0)
			for id := uint64(1); id <= 3; id++ {
				if err := w.QueueFrame(Header{Type: TypeReply, ID: id}, []byte("queued")); err != nil {
					t.Fatal(err)
				}
			}
			if out.writes != 0 {
				t.Fatalf("QueueFrame wrote (%d writes)", out.writes)
			}
			var err error
			switch how {
			case "write":
				err = w.WriteFrame(Header{Type: TypeReply, ID: 4}, []byte("last"))
			case "kick":
				err = w.Kick()
			case "flush":
				err = w.Flush()
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.writes != 1 {
				t.Fatalf("%d writes; want the queued frames in one", out.writes)
			}
			if err := w.Kick(); err != nil || out.writes != 1 {
				t.Fatalf("Kick with nothing queued: %v, %d writes", err, out.writes)
			}
			data := out.Bytes()
			r := NewReader(&stutterReader{data: bytes.Clone(data), cut: len(data) - 1}, 0)
			for id := uint64(1); id <= 3; id++ {
				_, b, err := r.ReadFrame()
				if errors.Is(err, os.ErrDeadlineExceeded) {
					_, b, err = r.ReadFrame()
				}
				if err != nil || string(b.B) != "queued" {
					t.Fatalf("frame %d: %v", id, err)
				}
				// The reader took in all but the last byte: the frames
				// before the last are whole, the last is not.
				if got, want := r.FrameBuffered(), id < 2 || (how == "write" && id < 3); got != want {
					t.Fatalf("after frame %d: FrameBuffered() = %v, want %v", id, got, want)
				}
			}
		})
	}
}

// A large body arrives in an array of its own, which the receiver may keep,
// starting well inside a page so that sending it on copies fast; a
// small one in a pooled array, which it may not keep.
func TestBufferOwn(t *testing.T) {
	for _, tt := range []struct {
		size int
		own  bool
	}{{64, false}, {ownedBody - BodyHeaderSize - 1, false}, {ownedBody, true}, {eagerBody + 1, true}} {
		var stream bytes.Buffer
		if err := NewWriter(&stream, 0).WriteFrame(Header{Type: TypeReply, ID: 1}, make([]byte, tt.size)); err != nil {
			t.Fatal(err)
		}
		_, b, err := NewReader(&stream, 0).ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if b.Own() != tt.own || len(b.B) != tt.size {
			t.Errorf("%d-byte payload: Own() = %v, len %d; want %v", tt.size, b.Own(), len(b.B), tt.own)
		}
		if off := uintptr(unsafe.Pointer(&b.B[0])) % 4096; tt.own && (off < 256 || off > 4096-256) {
			t.Errorf("%d-byte payload starts %d bytes into its page, want it well away from either end", tt.size, off)
		}
		b.Release()
	}
}

// failReader hands out data, then fails once with err, then reports the
// end of the stream: a connection whose read failed, as a socket does once
// it has reported its error.
type failReader struct {
	data   []byte
	err    error
	failed bool
}

func (f *failReader) Read(p []byte) (int, error) {
	switch {
	case len(f.data) > 0:
		n := copy(p, f.data)
		f.data = f.data[n:]
		return n, nil
	case !f.failed:
		f.failed = true
		return 0, f.err
	}
	return 0, io.EOF
}

// Only a read deadline passing leaves the Reader able to go on. A
// connection that failed with an error that merely calls itself a timeout
// (ETIMEDOUT, from TCP keepalive or retransmissions giving up, whose
// net.Error Timeout reports true) is broken: every later ReadFrame returns
// that error, never io.EOF as if the stream had ended cleanly, and a body
// in progress gives its charge back to the budget at once.
func TestReaderConnectionTimeoutIsSticky(t *testing.T) {
	etimedout := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}
	if !etimedout.Timeout() {
		t.Fatal("ETIMEDOUT does not report Timeout; the test shows nothing")
	}
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	if err := w.WriteFrame(Header{Type: TypeReply, ID: 1}, []byte("first")); err != nil {
		t.Fatal(err)
	}
	first := stream.Len()
	large := bytes.Repeat([]byte("L"), 2*aheadFree)
	if err := w.WriteFrame(Header{Type: TypeReply, ID: 2}, large); err != nil {
		t.Fatal(err)
	}
	data := stream.Bytes()
	for _, c := range []struct {
		name string
		cut  int
	}{
		{"between frames", first},
		{"in the length", first + 2},
		{"in the body header", first + HeaderSize - 1},
		{"in a large body", first + HeaderSize + 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := AheadInUse()
			r := NewReader(&failReader{data: bytes.Clone(data[:c.cut]), err: etimedout}, 0)
			t.Cleanup(r.Abandon)
			_, b, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("first frame: %v", err)
			}
			b.Release()
			_, _, err = r.ReadFrame()
			if !errors.Is(err, syscall.ETIMEDOUT) {
				t.Fatalf("ReadFrame: %v; want the connection's error", err)
			}
			if got := AheadInUse(); got != before {
				t.Errorf("after the connection failed: %d bytes charged to the budget, want %d", got, before)
			}
			if _, _, again := r.ReadFrame(); again != err {
				t.Fatalf("ReadFrame after the connection failed: %v; want its error again (%v)", again, err)
			}
		})
	}
}

// NextEmpty, too, takes a connection's ETIMEDOUT for the failure it is:
// the ReadFrame after it returns that error, not io.EOF.
func TestNextEmptyConnectionTimeoutSticks(t *testing.T) {
	etimedout := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ETIMEDOUT)}
	r := NewReader(&failReader{err: etimedout}, 0)
	t.Cleanup(r.Abandon)
	_, err := r.NextEmpty()
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("NextEmpty: %v; want the connection's error", err)
	}
	if _, _, again := r.ReadFrame(); again != err {
		t.Fatalf("ReadFrame after NextEmpty failed: %v; want its error again (%v)", again, err)
	}
}
