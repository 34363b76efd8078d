package uactor_test

// Sealing: frames on a connection are encrypted and authenticated, each
// connection under keys of its own.

import (
	"crypto/cipher"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
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

// Sealed frames built by hand from PROTOCOL.md ("Sealed frames"): those
// sealed in order with the length as additional data are read; a sequence
// number used twice, skipped or taken out of order, additional data other
// than the length, a plain frame, or a length under 28 (with no body sent
// after it) close the connection, and the actor serves others on.
func TestAttackSealedSequence(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := keyedCounter(t, plainKey)
	ping := func(seq uint64) func(cipher.AEAD) []byte {
		return func(a cipher.AEAD) []byte { return sealedFrame(a, seq, byte(frame.TypePing), seq+1, nil) }
	}
	otherAD := func(a cipher.AEAD) []byte {
		f := sealedFrame(a, 0, byte(frame.TypePing), 1, nil)
		plainBody := rawFrame(byte(frame.TypePing), 0, 0, 1, nil)[4:]
		return append(f[:4:4], a.Seal(nil, make([]byte, 12), plainBody, []byte{0, 0, 0, 0})...) // sealed with zeros as additional data
	}
	for _, c := range []struct {
		name   string
		frames []func(cipher.AEAD) []byte
		pongs  int // answered before the connection closes; -1: never closes
	}{
		{"in order", []func(cipher.AEAD) []byte{ping(0), ping(1), ping(2)}, -1},
		{"sequence reused", []func(cipher.AEAD) []byte{ping(0), ping(0)}, 1},
		{"sequence skipped", []func(cipher.AEAD) []byte{ping(0), ping(2)}, 1},
		{"out of order", []func(cipher.AEAD) []byte{ping(1), ping(0)}, 0},
		{"additional data not the length", []func(cipher.AEAD) []byte{otherAD}, 0},
		{"plain frame", []func(cipher.AEAD) []byte{func(cipher.AEAD) []byte { return rawFrame(byte(frame.TypePing), 0, 0, 1, make([]byte, 16)) }}, 0},
		{"length 27, no body", []func(cipher.AEAD) []byte{func(cipher.AEAD) []byte { return []byte{0, 0, 0, 27} }}, 0},
		{"length 12, no body", []func(cipher.AEAD) []byte{func(cipher.AEAD) []byte { return []byte{0, 0, 0, 12} }}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, sess := authenticatedSession(t, r.Address(), plainKey, handshake.FeatureSeal, 0)
			if sess.WriteAEAD == nil {
				t.Fatal("the handshake agreed no sealing")
			}
			// One write of them all: an actor that drops the connection at
			// the first would fail a write of the next (EPIPE).
			var all []byte
			for _, f := range c.frames {
				all = append(all, f(sess.WriteAEAD)...)
			}
			if _, err := conn.Write(all); err != nil {
				t.Fatal(err)
			}
			rd := frame.NewReader(conn, 0)
			rd.SetAEAD(sess.ReadAEAD)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			want := c.pongs
			if want < 0 {
				want = len(c.frames)
			}
			for i := range want {
				h, buf, err := rd.ReadFrame()
				if err != nil || h.Type != frame.TypePong || h.ID != uint64(i+1) {
					t.Fatalf("answer %d: %v, %v; want the PONG of id %d", i, h, err, i+1)
				}
				buf.Release()
			}
			if c.pongs >= 0 {
				expectDropped(t, conn, 10*time.Second)
			} else if p := peek(conn); p != "" {
				t.Fatalf("after the PONGs the connection says %q; want it open and quiet", p)
			}
		})
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor afterwards: Add = %d, %v", n, err)
	}
}
