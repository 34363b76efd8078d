package uactor_test

// Frames from an authenticated peer that lie about their length or their
// id, against actors hosted in this process so that runtime.MemStats sees
// the server's allocations.

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

func TestAttackLengthPrefixes(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	const max = mib
	r := host(t, ctx, CounterKind, &Counter{}, plain(uactor.MaxFrameSize(max))...)

	garbage := bytes.Repeat([]byte{0xEE}, max)
	for _, c := range []struct {
		name    string
		send    []byte
		bounded bool // allocation must stay small
	}{
		{"0", frameHead(0, 0, 0)[:4], true},
		{"11", append(frameHead(11, 0, 0)[:4], make([]byte, 11)...), true},
		{"max+1", frameHead(max+1, 1, 1), true},
		{"4GiB-1", frameHead(1<<32-1, 1, 1), true},
		{"max, garbage body", append(binary.BigEndian.AppendUint32(nil, max), garbage...), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := authenticated(t, r.Address(), plainKey, 0)
			var el time.Duration
			var werr error
			total, live := allocated(func() {
				start := time.Now()
				wrote := make(chan error, 1)
				go func() { _, err := conn.Write(c.send); wrote <- err }() // the actor may hang up mid-write
				at, err := waitDrop(conn, 2*time.Second)
				if err != nil {
					werr = err
					conn.Close()
				}
				el = at.Sub(start)
				<-wrote
			})
			if werr != nil {
				t.Fatal(werr)
			}
			t.Logf("dropped after %v; allocated %d KiB meanwhile, live heap %+d KiB", el.Round(time.Microsecond), total>>10, live>>10)
			if c.bounded && (total > 4*mib || live > 4*mib) {
				t.Errorf("an oversized or malformed length made the process allocate %d bytes (live %+d); want under 4 MiB", total, live)
			}
		})
	}

	t.Run("max, valid call", func(t *testing.T) {
		conn := authenticated(t, r.Address(), plainKey, 0)
		payload := bytes.Repeat([]byte("0123456789abcdef"), mib/16)[:max-frame.BodyHeaderSize-6]
		w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
		if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 7}, []byte("\x00\x04echo"), payload); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("a frame of exactly the maximum: %v", err)
		}
		if h.Type != frame.TypeReply || h.ID != 7 || !bytes.Equal(buf.B, payload) {
			t.Fatalf("a frame of exactly the maximum: answer %v of %d bytes; want the echo", h, len(buf.B))
		}
		buf.Release()
		// And the connection serves on.
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 8}, []byte("\x00\x03add"), wire.AppendVarint(nil, 2))
		if h, buf, err := rd.ReadFrame(); err != nil || h.Type != frame.TypeReply || h.ID != 8 {
			t.Fatalf("after the maximum frame: %v, %v", h, err)
		} else {
			buf.Release()
		}
	})

	// Not asserted, reported: what a peer that declares the maximum and then
	// sends nothing more makes the actor hold, plain (the length and the
	// 12-byte body header sent) and sealed (the length alone sent).
	const conns = 4
	for _, c := range []struct {
		name string
		want handshake.Features
		send []byte
	}{
		{"plain, length only", 0, frameHead(max, 1, 1)[:4]},
		{"plain, length and body header", 0, frameHead(max, 1, 1)},
		{"sealed, length only", handshake.FeatureSeal, frameHead(max, 1, 1)[:4]},
	} {
		t.Run("declared max then silence/"+c.name, func(t *testing.T) {
			held := make([]net.Conn, conns)
			for i := range held {
				held[i] = authenticated(t, r.Address(), plainKey, c.want)
			}
			total, live := allocated(func() {
				for _, conn := range held {
					if _, err := conn.Write(c.send); err != nil {
						t.Error(err)
					}
				}
				time.Sleep(300 * time.Millisecond) // the actor reads what came
			})
			t.Logf("%d connections that declared %d bytes and sent %d: allocated %d KiB, live heap %+d KiB (%+d KiB a connection)",
				conns, max, len(c.send), total>>10, live>>10, live/conns>>10)
			for _, conn := range held {
				conn.Close()
			}
		})
	}

	if n, err := Add.Call(ctx, r, 1); err != nil || n != 3 {
		t.Fatalf("the actor afterwards: Add = %d, %v", n, err)
	}
}

// A CALL that reuses the id of a call in flight is a protocol error: the
// connection is dropped (and the call in flight with it), instead of a
// second handler starting under one in-flight entry.
func TestAttackDuplicateCallID(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r, conn := hostPlain(t, ctx, CounterKind, &Counter{}, 0, uactor.MaxInFlight(64))
	w := frame.NewWriter(conn, 0)
	block := append([]byte("\x00\x05block"), wire.AppendVarint(nil, int64(10*time.Second))...)
	for range 200 {
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 7}, block)
	}
	expectDropped(t, conn, 5*time.Second)
	if n := calls(t, ctx, r); n > 1 {
		t.Fatalf("handlers started = %d; want at most the first call's", n)
	}
}
