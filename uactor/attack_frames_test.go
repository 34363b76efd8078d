package uactor_test

// Frames from an authenticated peer: lengths and ids that lie, and
// requests and replies that pile up, against actors hosted in this process
// so that runtime.MemStats sees the server's allocations.

import (
	"bytes"
	"encoding/binary"
	"net"
	"strings"
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
				at, err := waitDrop(conn, 10*time.Second)
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

	// A peer that declares the maximum and then sends nothing more makes the
	// actor hold no more than that frame (here, under 4 MiB, allocated when
	// its length comes) and its connection's buffers: plain (the length and
	// the 12-byte body header sent) and sealed (the length alone sent).
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
			if bound := int64(conns * (max + mib)); live > bound {
				t.Errorf("live heap grew by %d KiB; want at most the declared frame and a connection's buffers, %d KiB in all", live>>10, bound>>10)
			}
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

// A client may use an id again once it has the call's answer (PROTOCOL.md:
// ids are unique among calls in flight), even while the actor's worker
// that wrote the answer has not yet taken the call off its table: the
// actor waits for it, where it dropped the connection as a duplicate.
func TestCallIDReusedOnceAnswered(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	uactor.ForgetBlocking(CounterKind)
	t.Cleanup(func() { uactor.ForgetBlocking(CounterKind) })
	_, conn := hostPlain(t, ctx, CounterKind, &Counter{}, 0)
	w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
	nap := append([]byte("\x00\x05block"), wire.AppendVarint(nil, int64(2*time.Millisecond))...)
	const ids, answers = 64, 5000
	for id := uint64(1); id <= ids; id++ {
		if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, nap); err != nil {
			t.Fatal(err)
		}
	}
	conn.SetReadDeadline(time.Now().Add(25 * time.Second))
	for n := range answers {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("after %d answers, each id used again once answered: %v", n, err)
		}
		buf.Release()
		if h.Type != frame.TypeReply {
			t.Fatalf("answer %d: %v", n, h)
		}
		if n < answers-ids {
			if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: h.ID}, nap); err != nil {
				t.Fatalf("after %d answers: %v", n, err)
			}
		}
	}
}

// A call to a method named by a megabyte of unprintable bytes is answered
// with a short error: the name is quoted cut short, not expanded fourfold
// by quoting and echoed back.
func TestAttackHugeMethodName(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	_, conn := hostPlain(t, ctx, CounterKind, &Counter{}, 0)
	w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
	name := bytes.Repeat([]byte{1}, 1<<20)
	payload := append(binary.AppendUvarint([]byte{0}, uint64(len(name))), name...)
	if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, payload); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, buf, err := rd.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Release()
	if h.Type != frame.TypeError || len(buf.B) > 512 || !strings.Contains(string(buf.B), "no method") {
		t.Fatalf("answer %v of %d bytes; want a short error frame", h, len(buf.B))
	}
}

// zeros compresses to almost nothing: a small frame on the wire that is
// large once decompressed.
func zeros(n int) []byte { return make([]byte, n) }

// Compressed requests queued behind a busy Serial actor: the actor holds at
// most its ConnBuffer of request bytes for the connection (counted
// decompressed), then stops reading it, instead of decompressing all of them.
func TestAttackCompressedRequestsHeld(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	c := &Counter{release: make(chan struct{})}
	r, conn := hostPlain(t, ctx, CounterKind, c, handshake.FeatureZstd, uactor.Serial())
	counting := &countingWriter{w: conn}
	w := frame.NewWriter(counting, 0)
	w.SetCompression(1)
	const calls, size = 30, 15 << 20 // 450 MiB once decompressed
	var onWire int
	_, live := allocated(func() {
		// The first call keeps the Serial actor busy until the measurement
		// ends, however slow compressing is (under the race detector, say):
		// the rest queue behind it, and no answer is on its way out yet.
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x05block"), wire.AppendVarint(nil, int64(time.Minute)))
		writeCalls(w, 2, calls, "echo", zeros(size))
		time.Sleep(time.Second) // the actor reads what it will
		onWire = counting.n
	})
	close(c.release) // the queued calls may run now
	t.Logf("%d compressed calls of %d MiB (%d KiB on the wire) to a busy Serial actor: live heap grew %d MiB",
		calls-1, size>>20, onWire>>10, live>>20)
	if bound := 32*mib + size + 16*mib; live > int64(bound) { // ConnBuffer, the frame that crossed it, slack
		t.Errorf("live heap grew by %d MiB; want it bounded by ConnBuffer (32 MiB) plus a frame, %d MiB", live>>20, bound>>20)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor afterwards: Add = %d, %v", n, err)
	}
}

// Tiny compressed calls that declare no size, queued behind a busy Serial
// actor: each is decoded into room for two full blocks, but what the actor
// holds while it waits must follow the few bytes it counts against
// ConnBuffer, not that room.
func TestAttackUndeclaredCompressedCallsHeld(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	c := &Counter{release: make(chan struct{})}
	r, conn := hostPlain(t, ctx, CounterKind, c, handshake.FeatureZstd, uactor.Serial())
	w := frame.NewWriter(conn, 0)
	const calls = 1000 // within MaxInFlight's default
	var onWire int
	_, live := allocated(func() {
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x05block"), wire.AppendVarint(nil, int64(time.Minute)))
		var in []byte
		for id := uint64(2); id <= calls; id++ {
			in = undeclaredCall(in, id, "echo", []byte("x"))
		}
		onWire = len(in)
		if _, err := conn.Write(in); err != nil {
			t.Error(err)
		}
		time.Sleep(2 * time.Second) // the actor reads what it will
	})
	close(c.release)
	t.Logf("%d compressed calls (%d bytes on the wire) to a busy Serial actor: live heap grew %d MiB", calls-1, onWire, live>>20)
	if live > 32*mib {
		t.Errorf("live heap grew by %d MiB for %d KiB of calls; want it bounded by ConnBuffer (32 MiB)", live>>20, onWire>>10)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor afterwards: Add = %d, %v", n, err)
	}
}

// undeclaredCall appends a CALL frame whose payload is compressed, by hand,
// as a zstd frame that declares no size: one block of raw literals holding
// the call, then an empty block, which counts as able to hold a full one.
func undeclaredCall(dst []byte, id uint64, method string, req []byte) []byte {
	call := append(binary.AppendUvarint([]byte{0}, uint64(len(method))), method...)
	call = append(call, req...)                               // under 32 bytes: one byte of literals header
	z := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, (17 - 10) << 3} // magic; no size, 128 KiB window
	block := func(last bool, data ...byte) {
		h := uint32(2)<<1 | uint32(len(data))<<3 // compressed
		if last {
			h |= 1
		}
		z = append(append(z, byte(h), byte(h>>8), byte(h>>16)), data...)
	}
	block(false, append(append([]byte{byte(len(call)) << 3}, call...), 0)...) // raw literals, no sequences
	block(true, 0, 0)
	body := binary.BigEndian.AppendUint64([]byte{byte(frame.TypeCall), byte(frame.FlagCompressed), 0, 0}, id)
	body = append(body, z...)
	return append(binary.BigEndian.AppendUint32(dst, uint32(len(body))), body...)
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

// CALL payloads at the edges of PROTOCOL.md's "The CALL payload": those it
// calls malformed (and a payload that ends before its method name does)
// close the connection, and the actor serves others; those at the bounds
// are answered.
func TestAttackCallPayloads(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, plain()...)
	add := append([]byte("\x03add"), wire.AppendVarint(nil, 1)...)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	uv := func(n uint64) []byte { return binary.AppendUvarint(nil, n) }
	// pairs is n bytes of well-formed metadata pairs: one key of 1 byte
	// and a value of n-3 (n-3 < 128).
	pairs := func(key byte, n int) []byte {
		return cat([]byte{1, key}, uv(uint64(n-3)), bytes.Repeat([]byte("v"), n-3))
	}
	var full []byte // 8192 bytes of pairs, keys all different
	for k := byte(0); len(full) < uactor.MaxMetadataSize; k++ {
		full = append(full, pairs(k, min(100, uactor.MaxMetadataSize-len(full)))...)
	}
	for _, c := range []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"unknown call flag 0x04", cat([]byte{0x04}, add)},
		{"timeout cut short", []byte{0x01, 0x80}},
		{"timeout 2^63", cat([]byte{0x01}, uv(1<<63), add)},
		{"metadata over the bound", cat([]byte{0x02}, uv(uactor.MaxMetadataSize+1), full, []byte{0}, add)},
		{"metadata beyond the payload", cat([]byte{0x02}, uv(10), []byte{1, 'k', 0})},
		{"metadata pairs short of its length", cat([]byte{0x02}, uv(4), []byte{1, 'k', 0, 1}, add)},
		{"metadata pair beyond its length", cat([]byte{0x02}, uv(3), []byte{1, 'k', 5}, add)},
		{"no method name length", []byte{0}},
		{"method name beyond the payload", []byte("\x00\x10add")},
		{"method name length over 64 bits", cat([]byte{0}, bytes.Repeat([]byte{0xff}, 10), []byte{1})},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := authenticated(t, r.Address(), plainKey, 0)
			if _, err := conn.Write(rawFrame(byte(frame.TypeCall), 0, 0, 1, c.payload)); err != nil {
				t.Fatal(err)
			}
			expectDropped(t, conn, 10*time.Second)
		})
	}
	t.Run("at the bounds", func(t *testing.T) {
		conn := authenticated(t, r.Address(), plainKey, 0)
		rd := frame.NewReader(conn, 0)
		for i, p := range [][]byte{
			cat([]byte{0x01}, uv(1<<63-1), add),                         // the longest timeout
			cat([]byte{0x02}, uv(uactor.MaxMetadataSize), full, add),    // the most metadata
			cat([]byte{0x03}, uv(uint64(time.Minute)), uv(0), add),      // both, metadata empty
			cat([]byte{0x02}, uv(6), pairs('k', 3), pairs('k', 3), add), // a key twice
			cat([]byte{0x00, 0x80, 0x80, 0x00}, []byte("x")),            // a name length of 0, not minimally encoded: no method ""
		} {
			if _, err := conn.Write(rawFrame(byte(frame.TypeCall), 0, 0, uint64(i+1), p)); err != nil {
				t.Fatal(err)
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			h, buf, err := rd.ReadFrame()
			if err != nil {
				t.Fatalf("payload %d: %v", i, err)
			}
			want := frame.TypeReply
			if i == 4 {
				want = frame.TypeError
			}
			if h.Type != want || h.ID != uint64(i+1) || want == frame.TypeError && buf.B[0] != 3 {
				t.Fatalf("payload %d: answer %v %q; want %v", i, h, buf.B, want)
			}
			buf.Release()
		}
	})
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 5 {
		t.Fatalf("the actor afterwards: Add = %d, %v; want 5", n, err)
	}
}
