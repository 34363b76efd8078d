package uactor

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/handshake"
)

// pipeConn is a deadlineConn over one end of a net.Pipe whose other end a
// goroutine drains only while drain is open, so that a write waits until
// then; a net.Pipe has no raw descriptor, so every write waits under begin
// and end.
func pipeConn(t *testing.T) (dc *deadlineConn, drain func()) {
	t.Helper()
	a, b := net.Pipe()
	open := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-open
		buf := make([]byte, 64<<10)
		for {
			if _, err := b.Read(buf); err != nil {
				return
			}
		}
	}()
	dc = withWriteTimeout(a, 0)
	t.Cleanup(func() {
		dc.Close()
		b.Close()
		select {
		case <-open:
		default:
			close(open)
		}
		<-done
	})
	return dc, func() { close(open) }
}

// whenWaiting returns once a write on dc waits under a context (or after
// 10s, when the write it waits for would fail the test anyway).
func whenWaiting(dc *deadlineConn) {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		dc.mu.Lock()
		w := dc.waiting
		dc.mu.Unlock()
		if w != nil {
			return
		}
	}
}

// A context used for write after write is registered once: writes that
// wait allocate nothing.
func TestDeadlineConnRegistersOncePerContext(t *testing.T) {
	dc, drain := pipeConn(t)
	drain()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := make([]byte, 256<<10)
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := dc.WriteContext(ctx, b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a waiting write with the same context allocated %v times", allocs)
	}
}

// The end of a context cuts short only a write made under it: a later
// write under another context is not cut when the first ends late, and a
// write under a context that ended before it began is cut at once.
func TestDeadlineConnCutsOnlyItsWrite(t *testing.T) {
	dc, drain := pipeConn(t)
	b := make([]byte, 1<<10)

	first, cancelFirst := context.WithCancel(context.Background())
	go func() { whenWaiting(dc); cancelFirst() }()
	n, err := dc.WriteContext(first, b)
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Fatalf("write under a context that ended: %d bytes, %v; want 0, context.Canceled", n, err)
	}

	// Registered with first, which is done: a write under it again is cut
	// before it waits.
	if _, err := dc.WriteContext(first, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("write under a context that had ended: %v; want context.Canceled", err)
	}

	// A second context, still going: first's end must not reach it.
	second, cancelSecond := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelSecond()
	go func() { whenWaiting(dc); drain() }()
	if n, err := dc.WriteContext(second, b); err != nil || n != len(b) {
		t.Fatalf("write under a live context: %d bytes, %v; want %d, nil", n, err, len(b))
	}
}

// Close lets go of the context: its end afterwards runs nothing against
// the closed connection, and a write after Close fails as the net package
// says.
func TestDeadlineConnCloseUnregisters(t *testing.T) {
	dc, drain := pipeConn(t)
	drain()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := dc.WriteContext(ctx, make([]byte, 1<<10)); err != nil {
		t.Fatal(err)
	}
	if dc.disarm == nil {
		t.Fatal("a waiting write under a cancellable context registered nothing")
	}
	dc.Close()
	if dc.disarm != nil || dc.armed != nil {
		t.Error("Close left the context's registration in place")
	}
	if _, err := dc.WriteContext(ctx, []byte{1}); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("write after Close: %v; want io.ErrClosedPipe", err)
	}
	if dc.disarm != nil {
		t.Error("a write after Close registered its context again")
	}
}

// breakableConn is a net.Conn whose writes fail once broken is set; it has
// no raw descriptor, so every write of a deadlineConn over it can be cut.
type breakableConn struct {
	net.Conn
	broken atomic.Bool
}

var errBroken = errors.New("the connection broke")

func (b *breakableConn) Write(p []byte) (int, error) {
	if b.broken.Load() {
		return 0, errBroken
	}
	return b.Conn.Write(p)
}

// A caller that gives up mid-write leaves the rest of its frame to the
// Writer; if that rest then fails, the frames queued behind it are lost,
// so the connection must close and the calls waiting on them fail, not
// wait for answers that cannot come.
func TestCutWriteThatFailsClosesConn(t *testing.T) {
	a, _ := conntest.Pipe(t) // the actor's end never reads, nor writes
	nc := &breakableConn{Conn: a}
	o := defaultOptions()
	o.write, o.keepalive = 0, 0 // nothing but the failed write may end it
	c := newClientConn(nc, address{network: "unix", addr: "pair"}, &handshake.Session{}, o, true)
	t.Cleanup(func() { c.close(net.ErrClosed) })

	first, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	firstDone := make(chan error, 1)
	go func() {
		_, err := c.roundTrip(first, "big", []byte{0, 3, 'b', 'i', 'g'}, make([]byte, 1<<20))
		firstDone <- err
	}()
	whenWaiting(c.wc)
	before := c.w.Buffered()
	second, cancelSecond := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelSecond()
	secondDone := make(chan error, 1)
	go func() {
		_, err := c.roundTrip(second, "small", []byte{0, 5, 's', 'm', 'a', 'l', 'l'}, nil)
		secondDone <- err
	}()
	for c.w.Buffered() == before { // the second call's frame waits behind the first's
		time.Sleep(time.Millisecond)
	}
	nc.broken.Store(true) // the rest of the first frame will fail
	cancelFirst()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("the call that gave up: %v; want context.Canceled", err)
	}
	select {
	case err := <-secondDone:
		if !errors.Is(err, ErrActorDied) || !errors.Is(err, errBroken) {
			t.Fatalf("the call queued behind the failed write: %v; want ErrActorDied and its cause", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the call queued behind a failed write still waits after 15s")
	}
}
