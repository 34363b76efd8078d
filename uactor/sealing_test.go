package uactor_test

// Sealing: frames on a connection are encrypted and authenticated, each
// connection under keys of its own.

import (
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Frames are sealed on TCP by default: a relay sees none of a call's bytes,
// and sees them when both sides turn sealing off.
func TestTCPFramesAreSealed(t *testing.T) {
	marker := []byte("PLAINTEXT-MARKER-7c1f")
	for _, sealed := range []bool{true, false} {
		ctx := testCtx(t, 20*time.Second)
		r := tcpCounter(t, "tcp://127.0.0.1:0", uactor.Sealed(sealed))
		rl := startRelay(t, r.Address(), nil)
		remote := connect(t, ctx, rl.addr(), "SECRET", uactor.Sealed(sealed))
		if got, err := Echo.Call(ctx, remote, marker); err != nil || string(got) != string(marker) {
			t.Fatalf("echo through the relay = %q, %v", got, err)
		}
		remote.Close()
		if rl.saw(marker) == sealed {
			t.Fatalf("sealed=%v: relay saw the plaintext: %v", sealed, rl.saw(marker))
		}
	}
}

// A frame changed in transit closes the connection: the call fails, no
// handler runs, and the actor serves others.
func TestTamperedFrameClosesConnection(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	flip := func(_ *relay, conn, off int, b []byte) []byte {
		if i := handshakeBytes + 6 - off; i >= 0 && i < len(b) {
			b[i] ^= 0x40 // a byte inside the first frame's sealed body
		}
		return b
	}
	rl := startRelay(t, r.Address(), flip)
	if _, err := uactor.Connect(ctx, CounterKind, rl.addr(), []byte("SECRET")); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("Connect through a tampering relay = %v; want the connection dropped", err)
	}
	expectUntouched(t, ctx, r)
}

// Frames recorded on one connection and replayed on another are refused:
// each connection has its own keys.
func TestFramesReplayedAcrossConnections(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	splice := func(rl *relay, conn, off int, b []byte) []byte {
		if conn == 0 {
			return b
		}
		recorded := rl.clientSent(0)
		for i := range b {
			if at := off + i; at >= handshakeBytes && at < len(recorded) {
				b[i] = recorded[at] // the first connection's frame, byte for byte
			}
		}
		return b
	}
	rl := startRelay(t, r.Address(), splice)
	first := connect(t, ctx, rl.addr(), "SECRET")
	first.Close() // so that the next Connect dials a connection of its own
	if _, err := uactor.Connect(ctx, CounterKind, rl.addr(), []byte("SECRET")); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("Connect with replayed frames = %v; want the connection dropped", err)
	}
}
