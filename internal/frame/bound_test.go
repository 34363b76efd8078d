package frame

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A Writer with a queue bound: past it, WriteFrameNumbered waits for room
// and gives up with its context, leaving nothing of its frame behind;
// other methods queue as before; a waiting frame goes once a write drains
// the queue.
func TestWriterQueueBound(t *testing.T) {
	g := newGateWriter()
	w := NewWriter(g, 0)
	const bound = 300
	w.SetQueueBound(bound)
	done := startBlocked(t, w, g) // frame 0, a PING: HeaderSize bytes in write
	fillToBound(t, w, bound, w.WriteFrameNumbered)
	queued := w.Buffered()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := w.WriteFrameNumbered(ctx, Header{Type: TypeCall, ID: 100}, pattern(100, 100))
	if !errors.Is(err, ErrQueueFull) || !errors.Is(err, context.Canceled) || n != 0 {
		t.Fatalf("at the bound, with a cancelled context: frame %d, %v; want 0 and ErrQueueFull, context.Canceled", n, err)
	}
	if w.Buffered() != queued {
		t.Fatalf("a frame that gave up at the bound left %d bytes queued", w.Buffered()-queued)
	}

	waited := make(chan error, 1)
	go func() {
		_, err := w.WriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 101}, pattern(101, 100))
		waited <- err
	}()
	// A frame that must go does not wait at the bound.
	if err := w.WriteFrameContext(NoWait, Header{Type: TypeCancel, ID: 1}); err != nil {
		t.Fatalf("a cancel at the bound: %v", err)
	}
	waitingAtBound(t, w, waited)
	release(t, g, done, waited, "the frame that waited for room")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, h := range readAll(t, g.all()) {
		if h.Type == TypeCall {
			ids = append(ids, h.ID)
		}
	}
	if len(ids) == 0 || ids[len(ids)-1] != 101 {
		t.Fatalf("calls written: %v; want those below the bound, then 101", ids)
	}
	for _, id := range ids {
		if id == 100 {
			t.Fatalf("the frame that gave up at the bound was written: %v", ids)
		}
	}
}

// A Writer that fails while a frame waits at its bound: the frame is not
// written, and says so.
func TestWriterQueueBoundFails(t *testing.T) {
	g := newGateWriter()
	w := NewWriter(&failAfterGate{gateWriter: g, err: errors.New("peer gone")}, 0)
	w.SetQueueBound(1)
	done := startBlocked(t, w, g)
	waited := make(chan error, 1)
	go func() {
		_, err := w.WriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 1}, pattern(1, 100))
		waited <- err
	}()
	waitingAtBound(t, w, waited)
	close(g.release)
	<-done
	if err := <-waited; !errors.Is(err, ErrUnwritten) {
		t.Fatalf("a frame waiting at the bound of a Writer that failed: %v; want ErrUnwritten", err)
	}
}

// fillToBound writes calls of 100 bytes to w with write, numbered from 1,
// until w holds bound bytes; each must go in.
func fillToBound(t *testing.T, w *Writer, bound int, write func(context.Context, Header, ...[]byte) (uint64, error)) {
	t.Helper()
	for id := uint64(1); w.Buffered() < bound; id++ {
		if _, err := write(context.Background(), Header{Type: TypeCall, ID: id}, pattern(int(id), 100)); err != nil {
			t.Fatalf("below the bound: %v", err)
		}
	}
}

// release lets the write stuck in g go on, and fails the test unless it,
// then what waited behind it (what), end without error.
func release(t *testing.T, g *gateWriter, done, waited <-chan error, what string) {
	t.Helper()
	close(g.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitingAtBound returns once a frame waits for room below w's bound, and
// fails the test if the frame whose result comes on waited went in first.
func waitingAtBound(t *testing.T, w *Writer, waited <-chan error) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		select {
		case err := <-waited:
			t.Fatalf("a frame past the bound went in while the write was stuck: %v", err)
		default:
		}
		w.mu.Lock()
		waiting := w.room != nil
		w.mu.Unlock()
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no frame waits at the bound")
		}
	}
}

// TryWriteFrameNumbered refuses at the bound, with nothing queued, where
// WriteFrameNumbered would wait; WaitRoom waits for that room, or for its
// context; below the bound TryWriteFrameNumbered writes as usual.
func TestWriterTryAtQueueBound(t *testing.T) {
	g := newGateWriter()
	w := NewWriter(g, 0)
	w.SetQueueBound(200)
	done := startBlocked(t, w, g)
	fillToBound(t, w, 200, w.TryWriteFrameNumbered)
	queued := w.Buffered()
	if n, err := w.TryWriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 100}, pattern(100, 100)); !errors.Is(err, ErrNoRoom) || n != 0 {
		t.Fatalf("at the bound: frame %d, %v; want 0 and ErrNoRoom", n, err)
	}
	if w.Buffered() != queued {
		t.Fatalf("a frame refused at the bound left %d bytes queued", w.Buffered()-queued)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.WaitRoom(ctx); !errors.Is(err, ErrQueueFull) || !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitRoom at the bound, with a cancelled context: %v; want ErrQueueFull, context.Canceled", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- w.WaitRoom(context.Background()) }()
	waitingAtBound(t, w, waited)
	release(t, g, done, waited, "WaitRoom once the write drained the queue")
	if n, err := w.TryWriteFrameNumbered(context.Background(), Header{Type: TypeCall, ID: 101}, pattern(101, 100)); err != nil || n == 0 {
		t.Fatalf("once there is room: frame %d, %v", n, err)
	}
}
