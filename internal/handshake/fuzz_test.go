package handshake

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// feedConn is a net.Conn whose peer has sent exactly in and then hung up;
// what is written to it is kept. It never blocks, so fuzzing runs at full
// speed, and every input ends in either success or a clean EOF.
type feedConn struct {
	in  *bytes.Reader
	mu  sync.Mutex
	out bytes.Buffer
}

func newFeedConn(in []byte) *feedConn { return &feedConn{in: bytes.NewReader(in)} }

func (c *feedConn) Read(b []byte) (int, error) { return c.in.Read(b) }
func (c *feedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(b)
}
func (c *feedConn) written() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.out.Bytes())
}
func (c *feedConn) Close() error                     { return nil }
func (c *feedConn) LocalAddr() net.Addr              { return feedAddr{} }
func (c *feedConn) RemoteAddr() net.Addr             { return feedAddr{} }
func (c *feedConn) SetDeadline(time.Time) error      { return nil }
func (c *feedConn) SetReadDeadline(time.Time) error  { return nil }
func (c *feedConn) SetWriteDeadline(time.Time) error { return nil }

type feedAddr struct{}

func (feedAddr) Network() string { return "feed" }
func (feedAddr) String() string  { return "feed" }

// The fuzz targets' fixed parameters: both nonces are fixed so that valid
// transcripts exist, and the expected hellos are spelled out byte by byte
// rather than built by the code under test.
const (
	fuzzServerFirst = 0x40 // server nonce 0x40, 0x41, ...
	fuzzClientFirst = 0x80 // client nonce 0x80, 0x81, ...
)

// What the fuzzed ends announce: the server's request window, and each
// end's largest frame.
var (
	fuzzWindow         = [windowSize]byte{0, 1, 2, 3}
	fuzzServerFrameMax = [frameMaxSize]byte{0, 0x10, 0, 0}
	fuzzClientFrameMax = [frameMaxSize]byte{0, 0x20, 0, 0}
)

func fuzzServerHello() []byte {
	n, s := fixedNonce(fuzzServerFirst), fixedShare(fuzzServerFirst)
	return bytes.Join([][]byte{[]byte("uAct\x04\x02\r\n"), n[:], testID[:], s[:], fuzzWindow[:], fuzzServerFrameMax[:]}, nil) // offers zstd
}

func fuzzClientHello() []byte {
	n, s := fixedNonce(fuzzClientFirst), fixedShare(fuzzClientFirst)
	return bytes.Join([][]byte{[]byte("uAct\x04\x01\r\n"), n[:], s[:], fuzzClientFrameMax[:]}, nil) // wants sealing
}

// testKeyID is the key id the fuzzed server announces.
var testKeyID = [KeyIDSize]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4}

// validHeader is the spec's header rule, restated for the oracle.
func validHeader(b []byte) bool {
	return string(b[:4]) == "uAct" && b[4] == 4 && b[5]&^3 == 0 && b[6] == '\r' && b[7] == '\n'
}

// macOver is HMAC(testKey, label || 0 || ch || sh || extra), restated.
func macOver(label string, ch, sh []byte, extra ...byte) []byte {
	return referenceMAC(testKey, bytes.Join([][]byte{[]byte(label), {0}, ch, sh, extra}, nil))
}

// refKeyIDMask restates the key id mask of the session between mine (the
// side whose nonceSource starts at first) and the raw share theirs, with ch
// and sh giving the nonces; ok is false when theirs is not a usable share.
func refKeyIDMask(first byte, theirs, ch, sh []byte) (mask []byte, ok bool) {
	pub, err := ecdh.X25519().NewPublicKey(theirs)
	if err != nil {
		return nil, false
	}
	dh, err := fixedPriv(first).ECDH(pub)
	if err != nil {
		return nil, false
	}
	salt := append(bytes.Clone(ch[headerSize:headerSize+nonceSize]), sh[headerSize:headerSize+nonceSize]...)
	m, err := hkdf.Key(sha256.New, append(bytes.Clone(testKey), dh...), salt, "uactor/2 key id", KeyIDSize)
	return m, err == nil
}

func xor(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// classified reports whether err wraps one of the failures the package
// promises to name.
func classified(err error) bool {
	for _, target := range []error{ErrAuth, ErrNotUactor, ErrVersion, ErrProtocol, ErrWrongActor, ErrFull, io.ErrUnexpectedEOF} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// within runs f, failing the test if it takes longer than testTimeout.
func within(t *testing.T, f func() (*Session, error)) (*Session, error) {
	r := await(t, async(f))
	return r.s, r.err
}

// FuzzServer feeds arbitrary bytes to Server as the client's messages. It
// must succeed exactly when they are a valid hello and proof, and otherwise
// return a classified error, having sent only what the protocol allows;
// given a valid hello and proof and no room (Admit), it must send exactly
// the verdict "full".
func FuzzServer(f *testing.F) {
	ch := fuzzClientHello()
	valid := append(bytes.Clone(ch), macOver(clientLabel, ch, fuzzServerHello())...)
	f.Add(valid)
	f.Add(valid[:ClientHelloSize])
	f.Add(append(bytes.Clone(ch), make([]byte, ClientProofSize)...))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		conn := newFeedConn(in)
		s, err := within(t, func() (*Session, error) {
			return runServer(conn, ServerConfig{Key: testKey, Offer: FeatureZstd, ActorID: testID, KeyID: testKeyID, Window: 0x00010203, MaxFrame: 0x00100000, Deadline: time.Now().Add(testTimeout)}, nonceSource(fuzzServerFirst))
		})
		sh := fuzzServerHello()
		helloOK := len(in) >= ClientHelloSize && validHeader(in)
		proofRead := helloOK && len(in) >= ClientHelloSize+ClientProofSize
		proved := proofRead && bytes.Equal(in[ClientHelloSize:ClientHelloSize+ClientProofSize], macOver(clientLabel, in[:ClientHelloSize], sh))
		var mask []byte
		ok := false
		if proved {
			mask, ok = refKeyIDMask(fuzzServerFirst, in[headerSize+nonceSize:][:shareSize], in[:ClientHelloSize], sh)
		}

		want := bytes.Clone(sh)
		switch {
		case ok:
			want = append(append(want, statusAccepted), macOver(serverLabel, in[:ClientHelloSize], sh, testKeyID[:]...)...)
			want = append(want, xor(testKeyID[:], mask)...)
		case proofRead && !proved:
			want = append(append(want, statusRejected), make([]byte, ServerVerdictSize-1)...)
		}
		if !checkRun(t, "server", in, conn.written(), want, ok, err) {
			return
		}
		fuzzServerFull(t, in, sh)
		wantF := Features(in[5]) // the server offers zstd only, so the client's flags decide
		frameMax := binary.BigEndian.Uint32(in[ClientHelloSize-frameMaxSize:])
		if s.Features != wantF || s.ActorID != testID || s.KeyID != testKeyID || s.Window != 0x00010203 || s.PeerMaxFrame != frameMax || (s.ReadAEAD != nil) != (wantF&FeatureSeal != 0) {
			t.Fatalf("valid input %q: session %+v", in, s)
		}
	})
}

// fuzzServerFull runs the server on in, which carries a valid hello and
// proof, with an Admit that has no room: it must send exactly the verdict
// "full" (its MAC over the transcript, and zeros where an accepting verdict
// carries the masked key id: nothing of the key or the key id in clear),
// and fail with ErrFull.
func fuzzServerFull(t *testing.T, in, sh []byte) {
	t.Helper()
	conn := newFeedConn(in)
	_, err := within(t, func() (*Session, error) {
		return runServer(conn, ServerConfig{Key: testKey, Offer: FeatureZstd, ActorID: testID, KeyID: testKeyID, Window: 0x00010203, MaxFrame: 0x00100000, Deadline: time.Now().Add(testTimeout),
			Admit: func() error { return fmt.Errorf("%w: no room", ErrFull) }}, nonceSource(fuzzServerFirst))
	})
	want := append(append(bytes.Clone(sh), statusFull), macOver(fullLabel, in[:ClientHelloSize], sh)...)
	want = append(want, make([]byte, KeyIDSize)...)
	if got := conn.written(); !bytes.Equal(got, want) {
		t.Errorf("server with no room sent %x, want %x", got, want)
	}
	if !errors.Is(err, ErrFull) {
		t.Fatalf("input %q, server with no room: got %v, want ErrFull", in, err)
	}
}

// FuzzClient feeds arbitrary bytes to Client as the server's messages. It
// must succeed exactly when they are a valid hello from the expected actor
// and an accepting verdict, fail with ErrFull exactly when the verdict is
// "full" with its MAC, must send its proof only to the expected actor, and
// must otherwise return a classified error.
func FuzzClient(f *testing.F) {
	ch := fuzzClientHello()
	sh := fuzzServerHello()
	mask, _ := refKeyIDMask(fuzzClientFirst, sh[headerSize+nonceSize+idSize:][:shareSize], ch, sh)
	valid := append(append(bytes.Clone(sh), statusAccepted), macOver(serverLabel, ch, sh, testKeyID[:]...)...)
	valid = append(valid, xor(testKeyID[:], mask)...)
	f.Add(valid)
	f.Add(append(bytes.Clone(sh), statusRejected))
	full := append(append(bytes.Clone(sh), statusFull), macOver(fullLabel, ch, sh)...)
	f.Add(append(full, make([]byte, KeyIDSize)...)) // whole, or the verdict is never read
	f.Add(append(append(append(bytes.Clone(sh), statusFull), macOver(serverLabel, ch, sh)...), make([]byte, KeyIDSize)...))
	f.Add(append(append(bytes.Clone(sh), statusAccepted), macOver(clientLabel, ch, sh)...))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		conn := newFeedConn(in)
		s, err := within(t, func() (*Session, error) {
			return runClient(conn, ClientConfig{Key: testKey, Want: FeatureSeal, MaxFrame: 0x00200000, ExpectID: testID, Deadline: time.Now().Add(testTimeout)}, nonceSource(fuzzClientFirst))
		})
		const idAt, shareAt = headerSize + nonceSize, headerSize + nonceSize + idSize
		rightActor := len(in) >= ServerHelloSize && validHeader(in) && bytes.Equal(in[idAt:shareAt], testID[:])
		ok := rightActor && len(in) >= ServerHelloSize+ServerVerdictSize && in[ServerHelloSize] == statusAccepted
		var keyID []byte
		if ok {
			var mask []byte
			mask, ok = refKeyIDMask(fuzzClientFirst, in[shareAt:shareAt+shareSize], ch, in[:ServerHelloSize])
			if ok {
				v := in[ServerHelloSize : ServerHelloSize+ServerVerdictSize]
				keyID = xor(v[1+ClientProofSize:], mask)
				ok = bytes.Equal(v[1:1+ClientProofSize], macOver(serverLabel, ch, in[:ServerHelloSize], keyID...))
			}
		}

		// A verdict "full" is believed only with its own MAC over this
		// transcript: then, and only then, the client fails with ErrFull.
		full := rightActor && len(in) >= ServerHelloSize+ServerVerdictSize && in[ServerHelloSize] == statusFull &&
			bytes.Equal(in[ServerHelloSize+1:ServerHelloSize+1+ClientProofSize], macOver(fullLabel, ch, in[:ServerHelloSize]))
		if errors.Is(err, ErrFull) != full {
			t.Fatalf("input %q: got %v; the verdict full verifies: %v", in, err, full)
		}

		want := bytes.Clone(ch)
		if rightActor {
			want = append(want, macOver(clientLabel, ch, in[:ServerHelloSize])...)
		}
		if !checkRun(t, "client", in, conn.written(), want, ok, err) {
			return
		}
		const wantF = FeatureSeal // wanted by the client, which cannot do zstd
		window := binary.BigEndian.Uint32(in[ServerHelloSize-frameMaxSize-windowSize:])
		frameMax := binary.BigEndian.Uint32(in[ServerHelloSize-frameMaxSize:])
		if s.Features != wantF || s.ActorID != testID || !bytes.Equal(s.KeyID[:], keyID) || s.Window != window || s.PeerMaxFrame != frameMax || s.ReadAEAD == nil || s.WriteAEAD == nil {
			t.Fatalf("valid input %q: session %+v", in, s)
		}
	})
}

// checkRun fails t unless side, fed in, wrote exactly want and ended as ok
// says: with no error when the input was valid, else with a classified
// error. It reports whether there is a session to check.
func checkRun(t *testing.T, side string, in, written, want []byte, ok bool, err error) bool {
	t.Helper()
	if !bytes.Equal(written, want) {
		t.Errorf("%s sent %x, want %x", side, written, want)
	}
	if !ok {
		if err == nil || !classified(err) {
			t.Fatalf("input %q: got %v, want a classified error", in, err)
		}
		return false
	}
	if err != nil {
		t.Fatalf("valid input %q: %v", in, err)
	}
	return true
}
