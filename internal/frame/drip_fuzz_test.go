package frame

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
)

// dripReader hands data out in pieces whose sizes a pattern gives, with a
// timeout before each piece whose pattern byte has its top bit set: a peer
// that splits its frames over many small writes, read by goroutines that
// give up on deadlines in between.
type dripReader struct {
	data    []byte
	pattern []byte
	i       int
	stalled bool // the timeout before the current piece was returned
}

func (d *dripReader) Read(p []byte) (int, error) {
	if len(d.data) == 0 {
		return 0, io.EOF
	}
	c := byte(0x7f)
	if len(d.pattern) > 0 {
		c = d.pattern[d.i%len(d.pattern)]
	}
	if c&0x80 != 0 && !d.stalled {
		d.stalled = true
		return 0, os.ErrDeadlineExceeded
	}
	d.stalled = false
	d.i++
	n := copy(p, d.data[:min(len(d.data), int(c&0x7f)+1)])
	d.data = d.data[n:]
	return n, nil
}

// readEvery reads frames from r until it fails, retrying on timeouts, and
// returns them and the error that ended the stream. With peek, it asks
// NextEmpty and FrameBuffered before each frame and checks their answers
// against the frame read.
func readEvery(t *testing.T, r *Reader, peek bool) (frames []Header, payloads [][]byte, err error) {
	t.Helper()
	for {
		empty, known := false, false
		buffered := false
		if peek {
			for {
				e, perr := r.NextEmpty()
				if perr == nil {
					empty, known = e, true
					break
				}
				if !errors.Is(perr, os.ErrDeadlineExceeded) {
					break // ReadFrame returns it too
				}
			}
			buffered = r.FrameBuffered()
		}
		var h Header
		var b *Buffer
		for {
			h, b, err = r.ReadFrame()
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				break
			}
			if buffered {
				t.Fatal("FrameBuffered said a whole frame was buffered, but ReadFrame read the stream")
			}
		}
		if err != nil {
			return frames, payloads, err
		}
		if known && empty != (len(b.B) == 0) {
			t.Fatalf("NextEmpty said %v for a frame %+v with a payload of %d bytes", empty, h, len(b.B))
		}
		frames = append(frames, h)
		payloads = append(payloads, bytes.Clone(b.B))
		b.Release()
	}
}

// dripMax is the Reader's maximum in FuzzReaderDrip: above aheadFree, so
// that a body can take either way in (see aheadBudget).
const dripMax = 4 * aheadFree

// FuzzReaderDrip reads the same bytes twice: in one piece, and dripped in
// pieces of any size with timeouts in between, asking NextEmpty and
// FrameBuffered before each frame as an actor's reader does. Both reads
// must return the same frames and end the same way: a frame split over
// many writes, or a read that times out anywhere, changes nothing. The
// dripped read runs with the budget for bodies allocated ahead exhausted,
// so that a large body it reads grows as it arrives, where the read in one
// piece allocates it whole.
func FuzzReaderDrip(f *testing.F) {
	for _, s := range readerSeeds(f) {
		f.Add(s.data, s.sealed, []byte{0x80, 0, 3, 0x8f, 15})
		f.Add(s.data, s.sealed, []byte{0})
	}
	for _, sealed := range []bool{false, true} {
		var large bytes.Buffer
		w := NewWriter(&large, 0)
		if sealed {
			w.SetAEAD(newGCM(f))
		}
		if err := w.WriteFrame(Header{Type: TypeCall, ID: 1}, pattern(1, 3*aheadFree)); err != nil {
			f.Fatal(err)
		}
		f.Add(large.Bytes(), sealed, []byte{0x7f, 0xff, 0x40})
	}
	f.Fuzz(func(t *testing.T, data []byte, sealed bool, drip []byte) {
		whole, dripped := NewReader(bytes.NewReader(data), dripMax), NewReader(&dripReader{data: data, pattern: drip}, dripMax)
		if sealed {
			whole.SetAEAD(newGCM(t))
			dripped.SetAEAD(newGCM(t))
		}
		wantH, wantP, wantErr := readEvery(t, whole, false)
		exhaustBudget(t) // the dripped stream's large bodies grow as they arrive
		gotH, gotP, gotErr := readEvery(t, dripped, true)
		if len(gotH) != len(wantH) {
			t.Fatalf("dripped: %d frames, then %v; in one piece: %d frames, then %v", len(gotH), gotErr, len(wantH), wantErr)
		}
		for i := range wantH {
			if gotH[i] != wantH[i] || !bytes.Equal(gotP[i], wantP[i]) {
				t.Fatalf("frame %d dripped: %+v %x; in one piece: %+v %x", i, gotH[i], gotP[i], wantH[i], wantP[i])
			}
		}
		for _, class := range []error{io.EOF, io.ErrUnexpectedEOF, ErrTooLarge, ErrMalformed, ErrAuthFailed} {
			if errors.Is(gotErr, class) != errors.Is(wantErr, class) {
				t.Fatalf("dripped, the stream ends with %v; in one piece with %v", gotErr, wantErr)
			}
		}
	})
}
