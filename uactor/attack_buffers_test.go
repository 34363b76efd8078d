package uactor_test

// What one authenticated peer can make an actor hold in memory.

import (
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// zeros compresses to almost nothing: a small frame on the wire that is
// large once decompressed.
func zeros(n int) []byte { return make([]byte, n) }

// Compressed requests queued behind a busy Serial actor: the actor holds at
// most its ConnBuffer of request bytes for the connection (counted
// decompressed), then stops reading it, instead of decompressing all of them.
func TestAttackCompressedRequestsHeld(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r, conn := hostPlain(t, ctx, CounterKind, &Counter{}, handshake.FeatureZstd, uactor.Serial())
	counting := &countingWriter{w: conn}
	w := frame.NewWriter(counting, 0)
	w.SetCompression(1)
	const calls, size = 30, 15 << 20 // 450 MiB once decompressed
	var onWire int
	_, live := allocated(func() {
		// The first call keeps the Serial actor busy; the rest queue behind it.
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x05block"), wire.AppendVarint(nil, int64(2*time.Second)))
		writeCalls(w, 2, calls, "echo", zeros(size))
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

// A peer that sends calls and never reads their replies: a call keeps its
// slot until its reply has left, and queued replies are bounded, so live
// heap stays near MaxInFlight replies plus ConnBuffer, not one reply per call.
func TestAttackRepliesPileUp(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r, conn := hostPlain(t, ctx, CounterKind, &Counter{}, handshake.FeatureZstd, uactor.MaxInFlight(4), uactor.WriteTimeout(30*time.Second))
	w := frame.NewWriter(conn, 0)
	w.SetCompression(1)
	const calls, size = 60, 8 << 20 // 480 MiB of replies, from requests of a few KiB
	_, live := allocated(func() {
		writeCalls(w, 1, calls, "echo", zeros(size))
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
