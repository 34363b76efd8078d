package uactor_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// jsonish is compressible data like a real payload: JSON records.
func jsonish(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"name":"user-%d","email":"user%d@example.com","active":%v},`, i, i, i, i%3 == 0)
	}
	return b.Bytes()[:n]
}

// relayed counts the bytes a relay carries for one 256 KiB echo, with the
// given options on the actor and on the caller.
func relayed(t *testing.T, actorOpts, callerOpts []uactor.Option) int {
	t.Helper()
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0", actorOpts...)
	rl := startRelay(t, r.Address(), nil)
	remote := connect(t, ctx, rl.addr(), "SECRET", callerOpts...)
	payload := jsonish(256 << 10)
	got, err := Echo.Call(ctx, remote, payload)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("echo through the relay: %d bytes back, %v", len(got), err)
	}
	return rl.relayed()
}

func TestCompression(t *testing.T) {
	const payload = 2 * (256 << 10) // one request and one response
	on := []uactor.Option{uactor.Compression(4096)}
	cases := []struct {
		name           string
		actor, caller  []uactor.Option
		compressedBoth bool
	}{
		{"both ends compress", on, on, true},
		{"default: plain", nil, nil, false},
		{"a refusing caller gets plain replies", on, []uactor.Option{uactor.Compression(-1)}, false},
		{"a refusing actor gets plain requests", []uactor.Option{uactor.Compression(-1)}, on, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := relayed(t, c.actor, c.caller)
			if c.compressedBoth && n > payload/2 {
				t.Fatalf("%d bytes on the wire for %d of JSON; want compressed", n, payload)
			}
			if !c.compressedBoth && n < payload {
				t.Fatalf("%d bytes on the wire for %d of JSON; want plain", n, payload)
			}
		})
	}
}

// A peer that sends a compressed frame the handshake did not agree on, or
// one that decompresses past the actor's MaxFrameSize, is dropped, and the
// actor serves on.
func TestCompressedFrameDropsPeer(t *testing.T) {
	const max = 64 << 10
	for _, c := range []struct {
		name string
		want handshake.Features
		req  []byte
	}{
		{"not agreed", 0, jsonish(8 << 10)},
		{"over the maximum once decompressed", handshake.FeatureZstd, zeros(2 * max)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := spawnCounter(t, ctx, plain(uactor.MaxFrameSize(max))...)
			conn := authenticated(t, r.Address(), plainKey, c.want)
			w := frame.NewWriter(conn, 4*max)
			w.SetCompression(1)
			if err := writeCalls(w, 1, 1, "echo", c.req); err != nil {
				t.Fatal(err)
			}
			expectDropped(t, conn, 10*time.Second)
			if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
				t.Fatalf("after the compressed frame: Add = %d, %v", n, err)
			}
		})
	}
}

// zstdFrame is one zstd frame (RFC 8878) built by hand: the magic, the
// frame header fhd (descriptor, then window descriptor, dictionary id and
// content size as the descriptor says), then the blocks.
func zstdFrame(fhd []byte, blocks ...[]byte) []byte {
	return bytes.Join(append([][]byte{{0x28, 0xB5, 0x2F, 0xFD}, fhd}, blocks...), nil)
}

// zstdRaw and zstdRLE are zstd blocks: the bytes as they are, or n copies
// of one byte.
func zstdRaw(last bool, b []byte) []byte { return append(zstdBlockHead(last, 0, len(b)), b...) }
func zstdRLE(last bool, c byte, n int) []byte {
	return append(zstdBlockHead(last, 1, n), c)
}

func zstdBlockHead(last bool, typ, size int) []byte {
	v := typ<<1 | size<<3
	if last {
		v |= 1
	}
	return []byte{byte(v), byte(v >> 8), byte(v >> 16)}
}

// Compressed CALLs whose zstd headers lie, or that hold what PROTOCOL.md
// ("Compressed frames") refuses, close the connection, and the actor serves
// on; those at the bound, with a declared size or without, are answered.
func TestAttackCompressedFrameLies(t *testing.T) {
	const max = 64 << 10
	const most = max - frame.BodyHeaderSize // the largest decompressed payload
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, plain(uactor.MaxFrameSize(max))...)
	echo := []byte("\x00\x04echo")
	// echoOf is a CALL of echo with n zero bytes: a raw block for the
	// method, RLE blocks for the request.
	echoOf := func(n int, lastRLE ...int) [][]byte {
		bs := [][]byte{zstdRaw(false, echo)}
		for i, m := range lastRLE {
			bs = append(bs, zstdRLE(i == len(lastRLE)-1, 0, m))
		}
		return bs
	}
	fcs2 := func(n int) []byte { return []byte{0x60, byte(n - 256), byte((n - 256) >> 8)} } // single segment, 2-byte size
	fcs1 := func(n int) []byte { return []byte{0x20, byte(n)} }                             // single segment, 1-byte size
	window := func(log int) []byte { return []byte{0x00, byte(log-10) << 3} }               // no size, window 2^log
	small := zstdFrame(fcs1(10), zstdRaw(true, append(echo, 0, 0, 0, 0)))
	for _, c := range []struct {
		name    string
		payload []byte
		reply   int // bytes echoed; -1: the connection is closed
	}{
		{"declared, at the bound", zstdFrame(fcs2(most), echoOf(most, most-len(echo))...), most - len(echo)},
		{"undeclared, window at the bound", zstdFrame(window(16), echoOf(0, 40000, most-len(echo)-40000)...), most - len(echo)},
		{"declared, one past the bound", zstdFrame(fcs2(most+1), echoOf(0, most+1-len(echo))...), -1},
		{"undeclared, blocks past the bound", zstdFrame(window(16), echoOf(0, 40000, most-len(echo)-40000+1)...), -1},
		{"window past the bound", zstdFrame(window(17), zstdRaw(true, echo)), -1},
		{"declared more than the blocks hold", zstdFrame(fcs1(11), zstdRaw(true, append(echo, 0, 0, 0, 0))), -1},
		{"declared less than the blocks hold", zstdFrame(fcs1(9), zstdRaw(true, append(echo, 0, 0, 0, 0))), -1},
		{"needs a dictionary", zstdFrame([]byte{0x21, 7, 10}, zstdRaw(true, append(echo, 0, 0, 0, 0))), -1},
		{"skippable frame first", append([]byte{0x50, 0x2A, 0x4D, 0x18, 1, 0, 0, 0, 0}, small...), -1},
		{"two frames", append(append([]byte(nil), small...), small...), -1},
		{"a byte after the frame", append(append([]byte(nil), small...), 0), -1},
		{"wrong checksum", zstdFrame([]byte{0x24, 10}, zstdRaw(true, append(echo, 0, 0, 0, 0)), []byte{1, 2, 3, 4}), -1},
		{"one frame", small, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := authenticated(t, r.Address(), plainKey, handshake.FeatureZstd)
			if _, err := conn.Write(rawFrame(byte(frame.TypeCall), byte(frame.FlagCompressed), 0, 1, c.payload)); err != nil {
				t.Fatal(err)
			}
			if c.reply < 0 {
				expectDropped(t, conn, 10*time.Second)
				return
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			h, buf, err := frame.NewReader(conn, 0).ReadFrame()
			if err != nil || h.Type != frame.TypeReply || len(buf.B) != c.reply {
				t.Fatalf("answer %v (%v); want a REPLY of %d bytes", h, err, c.reply)
			}
			buf.Release()
		})
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor afterwards: Add = %d, %v", n, err)
	}
}
