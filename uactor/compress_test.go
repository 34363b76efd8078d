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
