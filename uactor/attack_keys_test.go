package uactor_test

// The attack suite: guessing keys, flooding handshakes, relaying.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// raiseFileLimit lifts this process's soft descriptor limit to at least n
// (within the hard limit), restoring it when the test ends.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if old.Cur >= n {
		return
	}
	if old.Max < n {
		t.Skipf("the hard descriptor limit is %d; this test needs %d", old.Max, n)
	}
	raised := old
	raised.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// hostTCP hosts a counter on loopback TCP with key, returning it and its
// host:port.
func hostTCP(t *testing.T, ctx context.Context, key []byte) (uactor.Ref[*Counter], string) {
	t.Helper()
	r, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey(key))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, r.Address()[len("tcp://"):]
}

// connectAndCall is what a key holder does: Connect, one call, Close,
// within 5 s.
func connectAndCall(ctx context.Context, address string, key []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	remote, err := uactor.Connect(ctx, CounterKind, address, key)
	if err != nil {
		return err
	}
	defer remote.Close()
	_, err = Add.Call(ctx, remote, 1)
	return err
}

// hammer runs n goroutines that dial addr over and over until the test
// ends, each connection handed to use (and closed when use returns; use
// should return soon once stopped reports true). It returns the count of
// connections made.
func hammer(t *testing.T, n int, addr string, use func(c net.Conn, stopped func() bool)) *atomic.Int64 {
	var dials atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for !stop.Load() {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				dials.Add(1)
				use(c, stop.Load)
				c.Close()
			}
		})
	}
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
	return &dials
}

// 1,100 connections that never say a word (or only the first byte of a
// hello, which gets them past the kernel's deferred accept), re-dialled as
// soon as the actor drops them: they hold no slot a key holder needs, and
// nearly every Connect-plus-call made meanwhile succeeds.
func TestAttackSilentHandshakeFlood(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first []byte
	}{{"silent", nil}, {"one byte", []byte("u")}} {
		t.Run(tc.name, func(t *testing.T) { handshakeFlood(t, tc.first) })
	}
}

func handshakeFlood(t *testing.T, first []byte) {
	checkGoroutines(t)
	raiseFileLimit(t, 8192)
	ctx := testCtx(t, 90*time.Second)
	key := []byte("flood key")
	r, addr := hostTCP(t, ctx, key)

	dials := hammer(t, 1100, addr, func(c net.Conn, stopped func() bool) {
		c.Write(first)
		// Silent until the actor drops us.
		buf := make([]byte, 128)
		for !stopped() {
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			if _, err := c.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				return
			}
		}
	})
	time.Sleep(time.Second) // let the flood fill whatever it can

	const attempts = 20
	var ok int
	start := time.Now()
	for range attempts {
		if err := connectAndCall(ctx, r.Address(), key); err == nil {
			ok++
		} else {
			t.Logf("a legitimate attempt failed: %v", err)
		}
	}
	t.Logf("%d of %d Connect-plus-call attempts succeeded in %v, while 1100 silent connections re-dialled (%d dials)",
		ok, attempts, time.Since(start).Round(time.Millisecond), dials.Load())
	if ok < attempts*9/10 {
		t.Errorf("%d of %d legitimate attempts succeeded; want at least 90%%", ok, attempts)
	}
}

// Guessing the key online: however many connections a guesser opens, one
// actor answers at most a few hundred wrong proofs a second, and a key
// holder still gets in meanwhile.
func TestAttackOnlineGuessing(t *testing.T) {
	checkGoroutines(t)
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

// recorder keeps everything written to and read from a conn: what a
// passive eavesdropper records.
type recorder struct {
	net.Conn
	mu      sync.Mutex
	out, in bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.Conn.Write(b)
	r.mu.Lock()
	r.out.Write(b[:n])
	r.mu.Unlock()
	return n, err
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.mu.Lock()
	r.in.Write(b[:n])
	r.mu.Unlock()
	return n, err
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
