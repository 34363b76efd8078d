package frame

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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

// flushWithin returns w.Flush's result, failing the test if it has not
// returned within d: the handed-over write it waits for never ended.
func flushWithin(t *testing.T, w *Writer, d time.Duration) error {
	t.Helper()
	flushed := make(chan error, 1)
	go func() { flushed <- w.Flush() }()
	select {
	case err := <-flushed:
		return err
	case <-time.After(d):
		t.Fatalf("the handed-over write did not end within %v", d)
		return nil
	}
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
					if err := flushWithin(t, w, 10*time.Second); err != nil {
						t.Fatal(err)
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

// gatesWriter lets each write through only when its gate opens: write i
// (from 0) waits for gates[i], if there is one, and records what it wrote.
type gatesWriter struct {
	gates   []chan struct{}
	started chan int // write i has begun

	mu     sync.Mutex
	writes int
	out    bytes.Buffer
}

func (g *gatesWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	i := g.writes
	g.writes++
	g.mu.Unlock()
	g.started <- i
	if i < len(g.gates) {
		<-g.gates[i]
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.out.Write(p)
}

// gatesCtxWriter is a gatesWriter that is also a ContextWriter: a write
// under a context that is done already takes take bytes at once, as a
// socket with that much room would, and returns cut short.
type gatesCtxWriter struct {
	*gatesWriter
	take int
}

func (g gatesCtxWriter) WriteContext(ctx context.Context, b []byte) (int, error) {
	if ctx.Err() == nil {
		return g.Write(b)
	}
	n := min(g.take, len(b))
	g.mu.Lock()
	g.out.Write(b[:n])
	g.mu.Unlock()
	return n, fmt.Errorf("no room: %w", ctx.Err())
}

func (g gatesCtxWriter) WriteBuffersContext(ctx context.Context, v *net.Buffers) (int64, error) {
	n, err := g.WriteContext(ctx, bytes.Join(*v, nil))
	return int64(n), err
}

// A caller whose frame is out returns, even while a large frame that
// another queued behind it waits to be written: the caller that found the
// Writer busy copied its frame in and went on, and the one writing must
// not be kept waiting on a bulk transfer that is not its own (its answer
// may be in already). The large frame follows in order all the same,
// whether the destination can write without waiting (what it takes at
// once goes first) or not.
func TestFlusherLeavesOthersBulk(t *testing.T) {
	for _, ctxWriter := range []bool{false, true} {
		t.Run(fmt.Sprintf("ContextWriter=%v", ctxWriter), func(t *testing.T) { flusherLeavesOthersBulk(t, ctxWriter) })
	}
}

func flusherLeavesOthersBulk(t *testing.T, ctxWriter bool) {
	first, second := make(chan struct{}), make(chan struct{})
	g := &gatesWriter{gates: []chan struct{}{first, second}, started: make(chan int, 8)}
	var dest io.Writer = g
	if ctxWriter {
		dest = gatesCtxWriter{g, 1000}
	}
	w := NewWriter(dest, 0)
	small := make(chan error, 1)
	go func() { small <- w.WriteFrame(Header{Type: TypeCall, ID: 1}, []byte("small")) }()
	if i := <-g.started; i != 0 {
		t.Fatalf("write %d began first", i)
	}
	big := bytes.Repeat([]byte{7}, 1<<20)
	if err := w.WriteFrame(Header{Type: TypeCall, ID: 2}, big); err != nil { // the Writer is busy: it queues
		t.Fatal(err)
	}
	close(first)
	select {
	case err := <-small:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(second)
		t.Fatal("the small frame's caller was kept writing the large frame another queued")
	}
	close(second)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(g.out.Bytes()), 0)
	for _, want := range []struct {
		id uint64
		n  int
	}{{1, 5}, {2, len(big)}} {
		h, buf, err := r.ReadFrame()
		if err != nil || h.ID != want.id || len(buf.B) != want.n {
			t.Fatalf("frame %d: id %d, %v; want id %d of %d bytes", want.id, h.ID, err, want.id, want.n)
		}
		buf.Release()
	}
}
