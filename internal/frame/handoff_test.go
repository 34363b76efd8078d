package frame

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// stallWriter is a ContextWriter whose first context write takes only take
// bytes and then waits for its context, returning cut short; every write
// after it waits until open is closed, then takes everything, or fails
// with fail if set.
type stallWriter struct {
	take int
	open chan struct{}
	fail error

	mu      sync.Mutex
	out     bytes.Buffer
	stalled bool
}

func (s *stallWriter) Write(p []byte) (int, error) {
	<-s.open
	if s.fail != nil {
		return 0, s.fail
	}
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

// OnFail hears of a failed write once, whoever wrote: the caller itself, or
// the Writer's goroutine finishing a frame whose caller gave up, where no
// caller would otherwise learn that the frames queued behind it are lost.
func TestWriterOnFail(t *testing.T) {
	boom := errors.New("boom")
	for _, handOff := range []bool{false, true} {
		t.Run(fmt.Sprintf("handoff=%v", handOff), func(t *testing.T) {
			sw := &stallWriter{take: 7, open: make(chan struct{}), fail: boom}
			w := NewWriter(sw, 0)
			told := make(chan error, 2)
			w.OnFail(func(err error) { told <- err })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if handOff {
				cancel() // the caller gives up mid-write; the Writer finishes the frame
			} else {
				sw.stalled = true // the write goes to Write, which fails
				close(sw.open)
			}
			err := w.WriteFrameContext(ctx, Header{Type: TypeCall, ID: 1}, pattern(3, 300))
			if handOff {
				if err != nil {
					t.Fatalf("WriteFrameContext = %v; want nil, the frame handed over", err)
				}
				if err := w.QueueFrame(Header{Type: TypeCall, ID: 2}); err != nil {
					t.Fatal(err)
				}
				close(sw.open) // the rest's write fails
			} else if !errors.Is(err, boom) {
				t.Fatalf("WriteFrameContext = %v; want %v", err, boom)
			}
			select {
			case got := <-told:
				if !errors.Is(got, boom) {
					t.Fatalf("OnFail told %v; want %v", got, boom)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("OnFail was not told of the failed write within 10s")
			}
			if err := w.Flush(); !errors.Is(err, boom) {
				t.Fatalf("Flush = %v; want %v", err, boom)
			}
			if err := w.WriteFrame(Header{Type: TypePing}); !errors.Is(err, boom) {
				t.Fatalf("WriteFrame after the failure = %v; want %v", err, boom)
			}
			if len(told) != 0 {
				t.Fatalf("OnFail told again: %v", <-told)
			}
		})
	}
}
