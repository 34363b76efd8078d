package uactor_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

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
