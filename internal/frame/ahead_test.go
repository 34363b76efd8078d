package frame

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"testing"
	"time"
)

// heldAhead is how many bytes of array r holds for the body of the frame it
// is in the middle of.
func (r *Reader) heldAhead() int {
	if r.body == nil {
		return 0
	}
	return cap(r.body.buf)
}

// stallReader hands out data, then times out on every read until fail is
// set, and then fails with errStalled: a peer that sent a frame's start
// and then nothing, read on a deadline, until its connection is closed.
type stallReader struct {
	data []byte
	fail bool
}

var errStalled = errors.New("connection closed")

func (s *stallReader) Read(p []byte) (int, error) {
	switch {
	case len(s.data) > 0:
		n := copy(p, s.data)
		s.data = s.data[n:]
		return n, nil
	case s.fail:
		return 0, errStalled
	}
	return 0, os.ErrDeadlineExceeded
}

// stalled returns a Reader that has read the start of a frame declaring a
// body of size bytes (plain: its length and body header; sealed: its
// length alone) and timed out waiting for the rest, and the stallReader
// under it.
func stalled(t *testing.T, size int, sealed bool) (*Reader, *stallReader) {
	t.Helper()
	var bodyHead []byte // a sealed frame's body header is sealed with it
	if !sealed {
		bodyHead = rawBody(TypeCall, 0, 0, 1, nil)
	}
	s := &stallReader{data: rawFrame(uint32(size+BodyHeaderSize), bodyHead...)}
	r := NewReader(s, 0)
	if sealed {
		r.SetAEAD(newGCM(t))
	}
	if _, _, err := r.ReadFrame(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a frame's start alone: %v; want a timeout", err)
	}
	return r, s
}

// fail makes r's next read fail, as closing its connection does, and
// checks that ReadFrame says so.
func fail(t *testing.T, r *Reader, s *stallReader) {
	t.Helper()
	s.fail = true
	if _, _, err := r.ReadFrame(); !errors.Is(err, errStalled) {
		t.Fatalf("after the connection failed: %v; want its error", err)
	}
}

// Many peers that each declare a large body and then send nothing make the
// Readers hold at most the process's budget for bodies allocated ahead of
// their bytes, and a little for each: not what they declared.
func TestStalledBodiesBounded(t *testing.T) {
	for _, c := range []struct {
		name   string
		size   int
		sealed bool
	}{
		{"owned, plain", ownedBody + 1, false},
		{"largest pooled class, plain", eagerBody, false},
		{"largest pooled class, sealed", eagerBody, true},
		{"above it, plain", 2 * eagerBody, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Enough of them to declare four budgets' worth.
			readers := 4 * aheadBudget / c.size
			held := 0
			for range readers {
				r, s := stalled(t, c.size, c.sealed)
				held += r.heldAhead()
				t.Cleanup(func() { fail(t, r, s) })
			}
			declared := readers * c.size
			bound := aheadBudget + readers*2*aheadFree
			t.Logf("%d readers that declared %d KiB each hold %d KiB in all", readers, c.size>>10, held>>10)
			if held > bound {
				t.Errorf("%d readers that each declared %d KiB (%d KiB in all) and sent nothing more hold %d KiB; want at most %d KiB",
					readers, c.size>>10, declared>>10, held>>10, bound>>10)
			}
		})
	}
}

// chunkReader hands data out chunk bytes at a time, timing out before every
// other chunk: a large frame arriving over many reads, read on deadlines.
type chunkReader struct {
	data    []byte
	chunk   int
	stalled bool
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	if c.stalled = !c.stalled; c.stalled {
		return 0, os.ErrDeadlineExceeded
	}
	n := copy(p, c.data[:min(len(c.data), c.chunk)])
	c.data = c.data[n:]
	return n, nil
}

// exhaustBudget takes the whole budget until the test ends, as peers
// stalling on large bodies would.
func exhaustBudget(t *testing.T) {
	ahead.Add(aheadBudget)
	t.Cleanup(func() { ahead.Add(-aheadBudget) })
}

// Honest frames of every size around the thresholds arrive byte for byte,
// plain, sealed and compressed, whole or over many reads with timeouts in
// between, whether the budget has room for their bodies or not; those large
// enough still arrive in an array of their own.
func TestLargeBodiesExact(t *testing.T) {
	sizes := []int{
		aheadFree - 1, aheadFree, aheadFree + 1,
		ownedBody - 1, ownedBody, ownedBody + 1,
		eagerBody - 1, eagerBody, eagerBody + 1,
		2*eagerBody + 3,
	}
	if raceEnabled {
		// Every byte copied costs far more under the race detector: one
		// size on each path is enough to look for races.
		sizes = []int{aheadFree + 1, ownedBody, eagerBody + 1}
	}
	random := randomBytes(1, 2*eagerBody+4)
	for _, budget := range []string{"room", "exhausted"} {
		t.Run("budget "+budget, func(t *testing.T) {
			if budget == "exhausted" {
				exhaustBudget(t)
			}
			for _, mode := range []string{"plain", "sealed", "compressed", "compressed sealed"} {
				for _, size := range sizes {
					for _, chunk := range []int{0, 61 << 10} {
						checkLargeFrame(t, random, mode, size, chunk)
					}
				}
			}
		})
	}
}

// checkLargeFrame sends two frames with size-byte payloads, cut from
// random, in mode and reads them back, from a stream delivered whole (chunk
// 0) or chunk bytes at a time.
func checkLargeFrame(t *testing.T, random []byte, mode string, size, chunk int) {
	t.Helper()
	sealed := mode == "sealed" || mode == "compressed sealed"
	compressed := mode == "compressed" || mode == "compressed sealed"
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	payloads := make([][]byte, 2)
	for i := range payloads {
		payloads[i] = random[i : i+size]
		if compressed { // half compressible: a large compressed body
			payloads[i] = make([]byte, size)
			copy(payloads[i], random[i:i+size/2])
		}
	}
	if sealed {
		w.SetAEAD(newGCM(t))
	}
	if compressed {
		w.SetCompression(1)
	}
	for i, p := range payloads {
		if err := w.WriteFrame(Header{Type: TypeReply, ID: uint64(i + 1)}, p); err != nil {
			t.Fatal(err)
		}
	}
	var src io.Reader = &stream
	if chunk > 0 {
		src = &chunkReader{data: stream.Bytes(), chunk: chunk}
	}
	r := NewReader(src, 0)
	if sealed {
		r.SetAEAD(newGCM(t))
	}
	r.SetDecompression(compressed)
	body := size
	if sealed {
		body += BodyHeaderSize + r.s.overhead()
	}
	for i, p := range payloads {
		h, b, err := r.ReadFrame()
		for errors.Is(err, os.ErrDeadlineExceeded) {
			h, b, err = r.ReadFrame()
		}
		if err != nil {
			t.Fatalf("%s, %d bytes, chunks of %d: frame %d: %v", mode, size, chunk, i+1, err)
		}
		if h.ID != uint64(i+1) || h.Flags != 0 || !bytes.Equal(b.B, p) {
			t.Fatalf("%s, %d bytes, chunks of %d: frame %d: got %v with %d bytes; want it intact", mode, size, chunk, i+1, h, len(b.B))
		}
		if want := body >= ownedBody; !compressed && b.Own() != want {
			t.Errorf("%s, %d bytes, chunks of %d: Own() = %v, want %v", mode, size, chunk, b.Own(), want)
		}
		b.Release()
	}
	if _, _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("%s, %d bytes, chunks of %d: after the frames: %v; want io.EOF", mode, size, chunk, err)
	}
	if r.charging || (r.charged != nil && r.charged.n.Load() != 0) {
		t.Errorf("%s, %d bytes, chunks of %d: the Reader keeps a charge after its frames", mode, size, chunk)
	}
}

// A body's charge to the budget lasts while it is incomplete, through
// timeouts, and is given back when the body is complete, when the Reader
// fails, when its reader abandons it (Abandon), or when a Reader left in
// the middle of the body is collected.
func TestAheadGivenBack(t *testing.T) {
	const size = ownedBody
	for _, end := range []string{"completed", "failed", "Abandon", "collected"} {
		t.Run(end, func(t *testing.T) {
			base := ahead.Load()
			frame := rawFrame(size+BodyHeaderSize, rawBody(TypeCall, 0, 0, 1, pattern(1, size))...)
			s := &stallReader{data: frame[:HeaderSize+size/2]}
			r := NewReader(s, 0)
			for range 2 {
				if _, _, err := r.ReadFrame(); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("half a frame: %v; want a timeout", err)
				}
				if got := ahead.Load() - base; got != size || r.charged.n.Load() != size {
					t.Fatalf("with half a body read: %d bytes charged (the Reader's %d); want %d", got, r.charged.n.Load(), size)
				}
			}
			switch end {
			case "completed":
				s.data = frame[HeaderSize+size/2:]
				_, b, err := r.ReadFrame()
				if err != nil || !bytes.Equal(b.B, pattern(1, size)) {
					t.Fatalf("the rest of the frame: %v", err)
				}
				b.Release()
			case "failed":
				fail(t, r, s)
			case "Abandon":
				r.Abandon()
				if _, _, err := r.ReadFrame(); !errors.Is(err, ErrAbandoned) {
					t.Errorf("ReadFrame after Abandon: %v; want ErrAbandoned", err)
				}
			case "collected":
				r = nil
				deadline := time.Now().Add(10 * time.Second)
				for ahead.Load() > base && time.Now().Before(deadline) {
					runtime.GC()
					time.Sleep(10 * time.Millisecond)
				}
			}
			if got := ahead.Load() - base; got > 0 {
				t.Errorf("once the body was %s: %d bytes still charged; want none", end, got)
			}
			if r != nil && (r.charging || r.charged.n.Load() != 0) {
				t.Errorf("once the body was %s: the Reader keeps a charge", end)
			}
		})
	}
}
