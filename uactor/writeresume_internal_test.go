package uactor

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// deadlineRecorder records the write deadlines set on its connection.
type deadlineRecorder struct {
	net.Conn
	mu  sync.Mutex
	set []time.Time
}

func (r *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	r.set = append(r.set, t)
	r.mu.Unlock()
	return r.Conn.SetWriteDeadline(t)
}

// A write whose caller gives up while the peer is not reading is finished
// by the Writer (the frame cannot be abandoned halfway), but within the
// same WriteTimeout: the rest gets no deadline of its own, or a peer that
// stops reading would hold the write for nearly twice WriteTimeout.
func TestWriteCutShortFinishesByItsDeadline(t *testing.T) {
	a, b := net.Pipe()
	rec := &deadlineRecorder{Conn: a}
	dc := withWriteTimeout(rec, time.Hour)
	w := frame.NewWriter(dc, 0)
	open := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		<-open
		io.Copy(io.Discard, b)
	}()
	var once sync.Once
	drain := func() { once.Do(func() { close(open) }) }
	t.Cleanup(func() {
		dc.Close()
		b.Close()
		drain()
		<-drained
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wrote := make(chan error, 1)
	go func() {
		wrote <- w.WriteFrameContext(ctx, frame.Header{Type: frame.TypeCall, ID: 1}, make([]byte, 64<<10))
	}()
	whenWaiting(dc)
	cancel()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatalf("a write whose caller gave up = %v; want nil, the Writer finishing it", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a write whose caller gave up did not return")
	}
	drain()
	if err := w.Flush(); err != nil {
		t.Fatalf("finishing the write: %v", err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var bounds []time.Time // the deadlines that bound waiting, not those that clear or cut it
	for _, d := range rec.set {
		if !d.IsZero() && !d.Equal(longAgo) {
			bounds = append(bounds, d)
		}
	}
	if len(bounds) == 0 {
		t.Fatal("the write waited under no deadline")
	}
	for _, d := range bounds[1:] {
		if d.After(bounds[0]) {
			t.Fatalf("the rest of the write must end by %v after the write's own deadline; want no later than it", d.Sub(bounds[0]))
		}
	}
}
