package frame

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// heldThenBroken holds its first write until release is closed and takes
// all of it; every later write takes the first room bytes it is given in
// all, then fails.
type heldThenBroken struct {
	*gateWriter
	brokenWriter
	first bool
}

func (h *heldThenBroken) Write(p []byte) (int, error) {
	if !h.first {
		h.first = true
		return h.gateWriter.Write(p)
	}
	return h.brokenWriter.Write(p)
}

// Frames that others queued while a write was under way, and that a later
// write failed before reaching, are Unwritten: none of their bytes left,
// so whoever waits on them may take them as never sent. A frame of which
// any byte left is not, nor is one written before the failure, plain or
// sealed.
func TestWriterUnwrittenQueued(t *testing.T) {
	payload := make([]byte, 40)
	for _, sealed := range []bool{false, true} {
		size := HeaderSize + len(payload) // of each queued frame
		if sealed {
			size += 16
		}
		for _, tc := range []struct {
			room         int
			want2, want3 bool
		}{
			{0, true, true},
			{1, false, true},
			{size - 1, false, true},
			{size, false, true},
			{size + 1, false, false},
			{2*size - 1, false, false},
		} {
			t.Run(fmt.Sprintf("sealed=%v/room=%d", sealed, tc.room), func(t *testing.T) {
				g := &heldThenBroken{gateWriter: newGateWriter(), brokenWriter: brokenWriter{room: tc.room}}
				w := NewWriter(g, 0)
				if sealed {
					w.SetAEAD(newGCM(t))
				}
				first := make(chan error, 1)
				var n1 uint64
				go func() {
					var err error
					n1, err = w.WriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 1}, payload)
					first <- err
				}()
				<-g.entered
				n2, err2 := w.WriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 2}, payload)
				n3, err3 := w.WriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 3}, payload)
				if err2 != nil || err3 != nil {
					t.Fatalf("queued frames: %v, %v; want both queued", err2, err3)
				}
				if w.Unwritten(n2) || w.Unwritten(n3) {
					t.Fatal("frames still to be written are Unwritten")
				}
				close(g.release)
				if err := <-first; !errors.Is(err, errBroken) || errors.Is(err, ErrUnwritten) {
					t.Fatalf("the flusher, whose own frame went out: %v; want the later write's error, without ErrUnwritten", err)
				}
				if n1 != 1 || n2 != 2 || n3 != 3 {
					t.Fatalf("numbers %d, %d, %d; want 1, 2, 3", n1, n2, n3)
				}
				if err := w.Flush(); !errors.Is(err, errBroken) {
					t.Fatalf("Flush = %v; want the write's error", err)
				}
				if w.Unwritten(n1) {
					t.Error("frame 1, written whole, is Unwritten")
				}
				if got := w.Unwritten(n2); got != tc.want2 {
					t.Errorf("Unwritten(frame 2) = %v; want %v", got, tc.want2)
				}
				if got := w.Unwritten(n3); got != tc.want3 {
					t.Errorf("Unwritten(frame 3) = %v; want %v", got, tc.want3)
				}
				n4, err := w.WriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 4})
				if n4 != 0 || !errors.Is(err, ErrUnwritten) {
					t.Errorf("a frame after the failure: number %d, %v; want 0 and ErrUnwritten", n4, err)
				}
			})
		}
	}
}

// A write that a caller who gave up handed to the Writer's goroutine, and
// that then failed, leaves its frame Unwritten only if no byte of it had
// left before the hand-over; a frame queued behind it is Unwritten.
func TestWriterUnwrittenHandedOff(t *testing.T) {
	for _, take := range []int{0, 1, HeaderSize + 5} {
		t.Run(fmt.Sprintf("cut=%d", take), func(t *testing.T) {
			sw := &stallWriter{take: take, open: make(chan struct{}), fail: errBroken}
			w := NewWriter(sw, 0)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			n1, err := w.WriteFrameNumbered(ctx, Header{Type: TypeCall, ID: 1}, make([]byte, 100))
			if err != nil {
				t.Fatalf("WriteFrameNumbered = %v; want nil, the frame handed over", err)
			}
			n2, err := w.WriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 2})
			if err != nil {
				t.Fatal(err)
			}
			close(sw.open)
			if err := flushWithin(t, w, 10*time.Second); !errors.Is(err, errBroken) {
				t.Fatalf("Flush = %v; want the write's error", err)
			}
			if got := w.Unwritten(n1); got != (take == 0) {
				t.Errorf("Unwritten(the handed-over frame) = %v; want %v", got, take == 0)
			}
			if !w.Unwritten(n2) {
				t.Error("the frame queued behind the failed write is not Unwritten")
			}
		})
	}
}
