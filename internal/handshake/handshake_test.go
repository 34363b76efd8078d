package handshake

import (
	"bytes"
	"crypto/cipher"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
)

func TestHandshakeSameKey(t *testing.T) {
	cases := []struct {
		name        string
		want, offer Features
		expect      [16]byte
		agreed      Features
	}{
		{"plain", 0, 0, [16]byte{}, 0},
		{"client wants seal", FeatureSeal, 0, [16]byte{}, FeatureSeal},
		{"server requires seal", 0, FeatureSeal, testID, FeatureSeal},
		{"zstd needs both", FeatureZstd, 0, [16]byte{}, 0},
		{"zstd agreed", FeatureZstd, FeatureZstd, testID, FeatureZstd},
		{"everything", FeatureSeal | FeatureZstd, FeatureSeal | FeatureZstd, testID, FeatureSeal | FeatureZstd},
	}
	for _, tr := range transports {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				cc, sc := tr.pair(t)
				c, s := handshake(t, cc, sc,
					ClientConfig{Key: testKey, Want: tc.want, ExpectID: tc.expect, Deadline: soon()},
					ServerConfig{Key: testKey, Offer: tc.offer, ActorID: testID, Deadline: soon()})
				if c.err != nil || s.err != nil {
					t.Fatalf("client: %v; server: %v", c.err, s.err)
				}
				for side, sess := range map[string]*Session{"client": c.s, "server": s.s} {
					if sess.Features != tc.agreed {
						t.Errorf("%s agreed on %#x, want %#x", side, sess.Features, tc.agreed)
					}
					if sess.ActorID != testID {
						t.Errorf("%s ActorID = %x, want %x", side, sess.ActorID, testID)
					}
					sealed := tc.agreed&FeatureSeal != 0
					if (sess.ReadAEAD != nil) != sealed || (sess.WriteAEAD != nil) != sealed {
						t.Errorf("%s AEADs present = %v/%v, want %v", side, sess.ReadAEAD != nil, sess.WriteAEAD != nil, sealed)
					}
				}
				if tc.agreed&FeatureSeal != 0 {
					checkAEADs(t, c.s, s.s)
				}
			})
		}
	}
}

// checkAEADs checks that each direction's AEADs match, and that the two
// directions use different keys.
func checkAEADs(t *testing.T, c, s *Session) {
	t.Helper()
	roundTrip := func(w, r cipher.AEAD) error {
		nonce := make([]byte, w.NonceSize())
		msg := []byte("hello, actor")
		got, err := r.Open(nil, nonce, w.Seal(nil, nonce, msg, []byte("ad")), []byte("ad"))
		if err == nil && !bytes.Equal(got, msg) {
			t.Errorf("opened %q, sealed %q", got, msg)
		}
		return err
	}
	if err := roundTrip(c.WriteAEAD, s.ReadAEAD); err != nil {
		t.Errorf("client to server: %v", err)
	}
	if err := roundTrip(s.WriteAEAD, c.ReadAEAD); err != nil {
		t.Errorf("server to client: %v", err)
	}
	if roundTrip(c.WriteAEAD, c.ReadAEAD) == nil {
		t.Error("both directions share a key")
	}
}

// The deadline covers the handshake only: an idle connection afterwards
// must not time out.
func TestHandshakeClearsDeadline(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cc, sc := tr.pair(t)
			deadline := time.Now().Add(200 * time.Millisecond)
			c, s := handshake(t, cc, sc,
				ClientConfig{Key: testKey, Deadline: deadline},
				ServerConfig{Key: testKey, ActorID: testID, Deadline: deadline})
			if c.err != nil || s.err != nil {
				t.Fatalf("client: %v; server: %v", c.err, s.err)
			}
			time.Sleep(time.Until(deadline) + 100*time.Millisecond)
			got := make(chan error, 1)
			go func() {
				var b [1]byte
				_, err := io.ReadFull(sc, b[:])
				got <- err
			}()
			if _, err := cc.Write([]byte{1}); err != nil {
				t.Fatalf("write after the handshake: %v", err)
			}
			select {
			case err := <-got:
				if err != nil {
					t.Fatalf("read after the handshake: %v", err)
				}
			case <-time.After(testTimeout):
				t.Fatal("read after the handshake did not return")
			}
		})
	}
}

func TestHandshakeWrongKey(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cc, sc := tr.pair(t)
			c, s := handshake(t, cc, sc,
				ClientConfig{Key: []byte("client key"), Deadline: soon()},
				ServerConfig{Key: []byte("server key"), ActorID: testID, Deadline: soon()})
			if !errors.Is(c.err, ErrAuth) {
				t.Errorf("client: %v, want ErrAuth", c.err)
			}
			if !errors.Is(s.err, ErrAuth) {
				t.Errorf("server: %v, want ErrAuth", s.err)
			}
		})
	}
}

func TestHandshakeEmptyKey(t *testing.T) {
	cases := []struct {
		name             string
		clientKey, servK []byte
	}{
		{"client", nil, testKey},
		{"server", testKey, []byte{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := conntest.Pipe(t)
			sr := async(func() (*Session, error) {
				return Server(sc, ServerConfig{Key: tc.servK, ActorID: testID, Deadline: soon()})
			})
			cr := async(func() (*Session, error) {
				return Client(cc, ClientConfig{Key: tc.clientKey, Deadline: soon()})
			})
			// The side without a key refuses at once; the other sees the
			// connection close.
			empty, other, otherConn := cr, sr, sc
			if tc.clientKey != nil {
				empty, other, otherConn = sr, cr, cc
			}
			r := await(t, empty)
			if !errors.Is(r.err, ErrAuth) || !strings.Contains(r.err.Error(), "empty authkey") {
				t.Errorf("side without a key: %v, want ErrAuth saying empty authkey", r.err)
			}
			otherConn.Close()
			if r := await(t, other); r.err == nil {
				t.Error("the other side succeeded")
			}
		})
	}
}

// A client expecting another actor refuses the server before proving
// anything to it.
func TestHandshakeWrongActor(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cc, sc := tr.pair(t)
			rec := &recordingConn{Conn: cc}
			sr := async(func() (*Session, error) {
				return Server(sc, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
			})
			c := await(t, async(func() (*Session, error) {
				return Client(rec, ClientConfig{Key: testKey, ExpectID: otherID, Deadline: soon()})
			}))
			if !errors.Is(c.err, ErrWrongActor) {
				t.Fatalf("client: %v, want ErrWrongActor", c.err)
			}
			if n := len(rec.written()); n != ClientHelloSize {
				t.Errorf("client wrote %d bytes, want only its %d-byte hello", n, ClientHelloSize)
			}
			cc.Close()
			if s := await(t, sr); !errors.Is(s.err, io.ErrUnexpectedEOF) {
				t.Errorf("server: %v, want it to see the client hang up", s.err)
			}
		})
	}
}

// Penalty runs for a proof that fails, before the rejection leaves, and
// never for one that verifies.
func TestPenalty(t *testing.T) {
	for _, key := range [][]byte{testKey, []byte("wrong key")} {
		cc, sc := conntest.Pipe(t)
		ran := make(chan struct{}, 1)
		release := make(chan struct{})
		sr := async(func() (*Session, error) {
			return Server(sc, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon(),
				Penalty: func() { ran <- struct{}{}; <-release }})
		})
		cr := async(func() (*Session, error) { return Client(cc, ClientConfig{Key: key, Deadline: soon()}) })
		if bytes.Equal(key, testKey) {
			if c, s := await(t, cr), await(t, sr); c.err != nil || s.err != nil {
				t.Fatalf("right key: client %v; server %v", c.err, s.err)
			}
			if len(ran) != 0 {
				t.Error("the penalty ran for a proof that verified")
			}
			continue
		}
		select {
		case <-ran:
		case <-time.After(testTimeout):
			t.Fatal("the penalty did not run for a wrong proof")
		}
		select {
		case r := <-cr:
			t.Fatalf("the client had its answer during the penalty: %v", r.err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		if c := await(t, cr); !errors.Is(c.err, ErrAuth) {
			t.Errorf("client: %v, want ErrAuth", c.err)
		}
		await(t, sr)
	}
}
