package frame

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// stallWriter is a ContextWriter whose first context write takes only take
// bytes and then waits for its context, returning cut short; every write
// after it waits until open is closed, then takes everything.
type stallWriter struct {
	take int
	open chan struct{}

	mu      sync.Mutex
	out     bytes.Buffer
	stalled bool
}

func (s *stallWriter) Write(p []byte) (int, error) {
	<-s.open
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *stallWriter) WriteContext(ctx context.Context, b []byte) (int, error) {
	s.mu.Lock()
	if s.stalled {
		s.mu.Unlock()
		return s.Write(b)
	}
	s.stalled = true
	n := min(s.take, len(b))
	s.out.Write(b[:n])
	s.mu.Unlock()
	<-ctx.Done()
	return n, fmt.Errorf("stalled: %w", ctx.Err())
}

func (s *stallWriter) WriteBuffersContext(ctx context.Context, v *net.Buffers) (int64, error) {
	n, err := s.WriteContext(ctx, bytes.Join(*v, nil))
	return int64(n), err
}

// A caller that gives up mid-write gets its WriteFrameContext back while
// the write waits, may reuse its payload at once, and the frame still goes
// out whole, before the frames queued behind it: wherever the write was cut,
// for a frame copied into the Writer's buffer and one written straight from
// the caller's slices, plain or sealed.
func TestWriterHandsOffCutWrite(t *testing.T) {
	for _, size := range []int{300, directPayload * 2} {
		for _, sealed := range []bool{false, true} {
			frameSize := HeaderSize + size
			if sealed {
				frameSize += 16
			}
			for _, take := range []int{0, 7, HeaderSize, HeaderSize + 5, frameSize / 2, frameSize - 1, frameSize} {
				t.Run(fmt.Sprintf("size=%d/sealed=%v/cut=%d", size, sealed, take), func(t *testing.T) {
					sw := &stallWriter{take: take, open: make(chan struct{})}
					w := NewWriter(sw, 0)
					if sealed {
						w.SetAEAD(newGCM(t))
					}
					payload := pattern(1, size)
					want := bytes.Clone(payload)
					ctx, cancel := context.WithCancel(context.Background())
					cancel() // the caller has given up before the write could finish
					if err := w.WriteFrameContext(ctx, Header{Type: TypeCall, ID: 1}, payload[:10], payload[10:]); err != nil {
						t.Fatalf("WriteFrameContext = %v; want nil, the frame handed over", err)
					}
					clear(payload)
					// Queued, not written: the hand-off may have finished
					// already, and this goroutine must not wait on open.
					if err := w.QueueFrame(Header{Type: TypeCancel, ID: 1}); err != nil {
						t.Fatal(err)
					}
					close(sw.open)
					flushed := make(chan error, 1)
					go func() { flushed <- w.Flush() }()
					select {
					case err := <-flushed:
						if err != nil {
							t.Fatal(err)
						}
					case <-time.After(10 * time.Second):
						t.Fatal("the handed-over frame was not written within 10s")
					}
					r := NewReader(bytes.NewReader(sw.out.Bytes()), 0)
					if sealed {
						r.SetAEAD(newGCM(t))
					}
					for i, wantH := range []Header{{Type: TypeCall, ID: 1}, {Type: TypeCancel, ID: 1}} {
						h, b, err := r.ReadFrame()
						if err != nil {
							t.Fatalf("frame %d: %v", i, err)
						}
						if h.Type != wantH.Type || h.ID != wantH.ID {
							t.Fatalf("frame %d: %+v; want %+v", i, h, wantH)
						}
						if i == 0 && !bytes.Equal(b.B, want) {
							t.Fatalf("the handed-over frame's payload changed")
						}
						b.Release()
					}
				})
			}
		}
	}
}

// A context that is never done, or not done before the write ends, leaves
// the write to the caller as WriteFrame does.
func TestWriterContextNotDone(t *testing.T) {
	sw := &stallWriter{open: make(chan struct{})}
	close(sw.open)
	sw.stalled = true // every write goes through whole
	w := NewWriter(sw, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []context.Context{context.Background(), ctx} {
		if err := w.WriteFrameContext(c, Header{Type: TypeCall, ID: 1}, pattern(2, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(readAll(t, sw.out.Bytes())); got != 2 {
		t.Fatalf("%d frames written; want 2", got)
	}
}
