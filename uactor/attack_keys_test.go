package uactor_test

// Attacks on the keys: guessing them, and what a recording or a ref gives
// away about them.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Guessing the key online: however many connections a guesser opens, one
// actor answers at most a few hundred wrong proofs a second, and a key
// holder still gets in meanwhile.
func TestAttackOnlineGuessing(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	key := []byte("guess me")
	r, addr := hostTCP(t, ctx, key)
	wrong := uactor.StretchKey([]byte("wrong guess"))

	var rejected atomic.Int64
	hammer(t, 64, addr, func(c net.Conn, _ func() bool) {
		_, err := handshake.Client(c, handshake.ClientConfig{Key: wrong, Deadline: time.Now().Add(10 * time.Second)})
		if errors.Is(err, handshake.ErrAuth) {
			rejected.Add(1)
		}
	})
	start := time.Now()
	// Key holders meanwhile.
	for range 5 {
		if err := connectAndCall(ctx, r.Address(), key); err != nil {
			t.Errorf("a key holder during the guessing: %v", err)
		}
	}
	if d := time.Since(start); d < 3*time.Second {
		time.Sleep(3*time.Second - d)
	}
	n, el := rejected.Load(), time.Since(start)
	rate := float64(n) / el.Seconds()
	t.Logf("%d wrong guesses answered in %v: %.0f/s", n, el.Round(time.Millisecond), rate)
	if rate > 400 {
		t.Errorf("%.0f wrong guesses answered per second; want at most a few hundred", rate)
	}
}

// A handshake proof is over the stretched key, so that testing a guess
// against a recorded proof costs a PBKDF2 of the documented parameters,
// not one HMAC: an actor given AuthKey("SECRET") accepts a proof under
// PBKDF2-HMAC-SHA256("SECRET", "uactor/2 authkey", 250000, 32) and rejects
// one under "SECRET" itself.
func TestProofIsOverStretchedKey(t *testing.T) {
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	stretched, err := pbkdf2.Key(sha256.New, "SECRET", []byte("uactor/2 authkey"), 250_000, 32)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  []byte
		ok   bool
	}{
		{"raw key", []byte("SECRET"), false},
		{"stretched key", stretched, true},
	} {
		c := dialRaw(t, r.Address())
		_, err := handshake.Client(c, handshake.ClientConfig{Key: tc.key, Want: handshake.FeatureSeal, Deadline: time.Now().Add(10 * time.Second)})
		if (err == nil) != tc.ok {
			t.Errorf("proof under the %s: %v; want accepted = %v", tc.name, err, tc.ok)
		}
	}
}

// A ref lets no one test a key guess: decoded in a process that holds the
// right key and in one that holds a wrong key, a ref to an actor that is
// gone gives the same outcome (with a key fingerprint in the ref, the first
// would decode it and fail to dial, the second would fail at once).
func TestRefRevealsNothingAboutItsKey(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	m, err := uactor.Spawn(ctx, MyActorKind, "tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := OtherRefBytes.Call(ctx, m, uactor.Empty{})
	m.Close() // the whole tree goes: the ref's actor is gone
	if err != nil {
		t.Fatal(err)
	}
	outcome := func(key string) string {
		h, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.AuthKey([]byte(key))) // this process now holds key
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		var ref uactor.Ref[*Counter]
		if err = ref.UnmarshalBinary(b); err == nil {
			defer ref.Close()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err = Add.Call(cctx, ref, 1)
			cancel()
		}
		var ake *uactor.AuthKeyError
		switch {
		case errors.As(err, &ake):
			return "decode: *AuthKeyError"
		case errors.Is(err, uactor.ErrActorDied):
			return "call: ErrActorDied"
		}
		return "other: " + err.Error()
	}
	right, wrong := outcome("OtherSecret"), outcome("not the key")
	t.Logf("right key: %s; wrong key: %s", right, wrong)
	if right != wrong {
		t.Errorf("the ref tells a process holding its key (%s) from one holding another (%s)", right, wrong)
	}
	if wrong != "decode: *AuthKeyError" {
		t.Errorf("a ref whose key this process lacks: %s; want *AuthKeyError at decode", wrong)
	}
}

// Forward secrecy: someone who recorded a connection and later learns the
// authkey cannot open its frames, since the session keys also depend on an
// X25519 exchange whose private halves died with the handshake.
func TestRecordedTrafficStaysSealedAfterKeyLeak(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	rec := &recorder{Conn: dialRaw(t, r.Address())}
	sess, err := handshake.Client(rec, handshake.ClientConfig{Key: uactor.StretchKey([]byte("SECRET")), Want: handshake.FeatureSeal, Deadline: time.Now().Add(10 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	w := frame.NewWriter(rec, 0)
	w.SetAEAD(sess.WriteAEAD)
	secret := wire.AppendVarint(nil, 4242)
	if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x03add"), secret); err != nil {
		t.Fatal(err)
	}
	rd := frame.NewReader(rec, 0)
	rd.SetAEAD(sess.ReadAEAD)
	rec.SetReadDeadline(time.Now().Add(10 * time.Second))
	if h, buf, err := rd.ReadFrame(); err != nil || h.Type != frame.TypeReply {
		t.Fatalf("the recorded call: %v, %v", h, err)
	} else {
		buf.Release()
	}
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n == 0 {
		t.Fatalf("the recorded call did not run: %d, %v", n, err)
	}

	// Later, the key leaks. The recording holds both hellos (nonces) and the
	// sealed frame; derive what the authkey and the nonces alone give.
	rec.mu.Lock()
	out, in := bytes.Clone(rec.out.Bytes()), bytes.Clone(rec.in.Bytes())
	rec.mu.Unlock()
	cn, sn := out[8:40], in[8:40]
	f := out[handshake.ClientHelloSize+handshake.ClientProofSize:]
	length := binary.BigEndian.Uint32(f)
	body := f[4 : 4+length]
	for _, key := range [][]byte{[]byte("SECRET"), uactor.StretchKey([]byte("SECRET"))} {
		for _, info := range []string{"uactor/1 seal c2s", "uactor/2 seal c2s"} {
			k, err := hkdf.Key(sha256.New, key, append(bytes.Clone(cn), sn...), info, 32)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := aes.NewCipher(k)
			aead, _ := cipher.NewGCM(block)
			if _, err := aead.Open(nil, make([]byte, 12), body, f[:4]); err == nil {
				t.Fatalf("the recorded frame opens with the leaked key and the recorded nonces (%q)", info)
			}
		}
	}
}

// The other direction: a server that proves itself with another key than
// the caller's (it accepts any proof and sends a verdict MAC made with its
// own key "b") is refused by a caller holding "a".
func TestAttackServerWithOtherKey(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	ln := listenTCP(t)
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		sh := serverHello(1, randomBytes(32), randomBytes(16))
		if _, err := c.Write(sh); err != nil {
			served <- err
			return
		}
		in := make([]byte, handshake.ClientHelloSize+handshake.ClientProofSize)
		if err := readExactly(c, in, 5*time.Second); err != nil {
			served <- err
			return
		}
		m := hmac.New(sha256.New, []byte("b")) // the impostor's own key
		m.Write([]byte("uactor/2 server\x00"))
		m.Write(in[:handshake.ClientHelloSize])
		m.Write(sh)
		m.Write(make([]byte, handshake.KeyIDSize)) // a key id it cannot mask, which changes nothing
		_, err = c.Write(append(append([]byte{0}, m.Sum(nil)...), make([]byte, handshake.KeyIDSize)...))
		served <- err
		io.Copy(io.Discard, c) // until the caller hangs up
	}()
	start := time.Now()
	remote, err := uactor.Connect(ctx, CounterKind, ln.Addr().String(), []byte("a"))
	el := time.Since(start)
	if err == nil {
		remote.Close()
		t.Fatal("Connect accepted a server that proved itself with another key")
	}
	if !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("Connect to a server with another key = %v; want ErrAuthKey", err)
	}
	t.Logf("refused in %v: %v", el, err)
	if err := <-served; err != nil {
		t.Fatalf("impostor: %v", err)
	}
}
