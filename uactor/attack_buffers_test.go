package uactor_test

// The attack suite: what one authenticated peer can make an actor hold.

import (
	"io"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// A CALL that reuses the id of a call in flight is a protocol error: the
// connection is dropped (and the call in flight with it), instead of a
// second handler starting under one in-flight entry.
func TestAttackDuplicateCallID(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 30*time.Second)
	r, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.MaxInFlight(64), uactor.AuthKey([]byte("k2")), uactor.Sealed(false)) // frames by hand
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	conn := authenticatedWith(t, r.Address(), "k2", 0)
	w := frame.NewWriter(conn, 0)
	block := append([]byte("\x00\x05block"), wire.AppendVarint(nil, int64(10*time.Second))...)
	for range 200 {
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 7}, block)
	}
	expectDropped(t, conn, 5*time.Second)
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n > 1 {
		t.Fatalf("handlers started = %d, %v; want at most the first call's", n, err)
	}
}

// zeros compresses to almost nothing: a small frame on the wire that is
// large once decompressed.
func zeros(n int) []byte { return make([]byte, n) }

// Compressed requests queued behind a busy Serial actor: the actor holds at
// most its ConnBuffer of request bytes for the connection (counted
// decompressed), then stops reading it, instead of decompressing all of them.
func TestAttackCompressedRequestsHeld(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 60*time.Second)
	r, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.Serial(), uactor.AuthKey([]byte("k3")), uactor.Sealed(false)) // frames by hand
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	conn := authenticatedWith(t, r.Address(), "k3", handshake.FeatureZstd)
	counting := &countingWriter{w: conn}
	w := frame.NewWriter(counting, 0)
	w.SetCompression(1)
	const calls, size = 30, 15 << 20 // 450 MiB once decompressed
	var onWire int
	_, live := allocated(func() {
		// The first call keeps the Serial actor busy; the rest queue behind it.
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x05block"), wire.AppendVarint(nil, int64(2*time.Second)))
		for id := uint64(2); id <= calls; id++ {
			w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, []byte("\x00\x04echo"), zeros(size))
		}
		time.Sleep(time.Second) // the actor reads what it will
		onWire = counting.n
	})
	t.Logf("%d compressed calls of %d MiB (%d KiB on the wire) to a busy Serial actor: live heap grew %d MiB",
		calls-1, size>>20, onWire>>10, live>>20)
	if live > 128*mib {
		t.Errorf("live heap grew by %d MiB; want it bounded by ConnBuffer (32 MiB) plus a frame", live>>20)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor afterwards: Add = %d, %v", n, err)
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += n
	return n, err
}

// A peer that sends calls and never reads their replies: a call keeps its
// slot until its reply has left, and queued replies are bounded, so live
// heap stays near MaxInFlight replies plus ConnBuffer, not one reply per call.
func TestAttackRepliesPileUp(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 60*time.Second)
	r, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.MaxInFlight(4), uactor.WriteTimeout(30*time.Second),
		uactor.AuthKey([]byte("k4")), uactor.Sealed(false)) // frames by hand
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	conn := authenticatedWith(t, r.Address(), "k4", handshake.FeatureZstd)
	w := frame.NewWriter(conn, 0)
	w.SetCompression(1)
	const calls, size = 60, 8 << 20 // 480 MiB of replies, from requests of a few KiB
	_, live := allocated(func() {
		for id := uint64(1); id <= calls; id++ {
			w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, []byte("\x00\x04echo"), zeros(size))
		}
		time.Sleep(2 * time.Second) // the actor answers what it will
	})
	t.Logf("%d calls with %d MiB replies, none read: live heap grew %d MiB", calls, size>>20, live>>20)
	if live > 160*mib {
		t.Errorf("live heap grew by %d MiB; want it bounded by MaxInFlight replies plus ConnBuffer", live>>20)
	}
	conn.Close()
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatalf("the actor afterwards: %v", err)
	}
}
