package uactor_test

// The fault and attack suite (issue 7): keys. Helpers shared by the
// attack_*_test.go files live here too.

import (
	"context"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// readExactly reads len(b) bytes from c within d.
func readExactly(c net.Conn, b []byte, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	_, err := io.ReadFull(c, b)
	return err
}

// isClosedErr reports whether err says that the peer closed the connection.
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe")
}

// waitDrop waits for the actor to close c (reading past whatever it sends)
// and returns when it did, or an error if it has not after d.
func waitDrop(c net.Conn, d time.Duration) (time.Time, error) {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 512)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		if isClosedErr(err) {
			return time.Now(), nil
		}
		return time.Time{}, fmt.Errorf("connection not dropped within %v: %w", d, err)
	}
}

// dropTime is waitDrop that fails the test (from the test's goroutine only).
func dropTime(t *testing.T, c net.Conn, d time.Duration) time.Time {
	t.Helper()
	at, err := waitDrop(c, d)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// clientHello builds a ClientHello (PROTOCOL.md §1) with the given flags and nonce.
func clientHello(flags byte, nonce []byte) []byte {
	b := []byte{'u', 'A', 'c', 't', 2, flags, '\r', '\n'}
	b = append(b, nonce[:32]...)
	return append(b, x25519Share()...)
}

// x25519Share is a fresh ephemeral X25519 public key, as a hello carries.
func x25519Share() []byte {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k.PublicKey().Bytes()
}

// serverHello builds a ServerHello with the given flags, nonce and actor id.
func serverHello(flags byte, nonce, id []byte) []byte {
	b := []byte{'u', 'A', 'c', 't', 2, flags, '\r', '\n'}
	b = append(b, nonce[:32]...)
	b = append(b, id[:16]...)
	return append(b, x25519Share()...)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// calls returns how many counted handlers have run on the counter r.
func calls(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) int64 {
	t.Helper()
	n, err := Calls.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatalf("calls: %v", err)
	}
	return n
}

// A caller with the wrong key is refused within the handshake deadline, no
// handler runs, and the actor keeps serving.
func TestAttackWrongKey(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 60*time.Second)
	keyed := keyedCounter(t, "a")
	tree := spawnCounter(t, ctx)
	for _, c := range []struct {
		name string
		r    uactor.Ref[*Counter]
	}{{"actor key a, caller b", keyed}, {"tree key, caller b", tree}} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			remote, err := uactor.Connect(ctx, CounterKind, c.r.Address(), []byte("b"))
			el := time.Since(start)
			if err == nil {
				remote.Close()
			}
			var ake *uactor.AuthKeyError
			if !errors.Is(err, uactor.ErrAuthKey) || !errors.As(err, &ake) {
				t.Fatalf("Connect with key b = %v; want *AuthKeyError", err)
			}
			if el > 5*time.Second { // the default handshake deadline
				t.Fatalf("refused after %v, beyond the handshake deadline", el)
			}
			t.Logf("refused in %v: %v", el, err)
			if n := calls(t, ctx, c.r); n != 0 {
				t.Fatalf("%d handlers ran for a refused caller", n)
			}
			if n, err := Add.Call(ctx, c.r, 1); err != nil || n != 1 {
				t.Fatalf("the actor after a refused caller: Add = %d, %v", n, err)
			}
		})
	}
}

// The other direction: a server that proves itself with another key than
// the caller's (it accepts any proof and sends a verdict MAC made with its
// own key "b") is refused by a caller holding "a".
func TestAttackServerWithOtherKey(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 20*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
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

// An empty key is refused at once: by Connect, and by Spawn and Host given
// AuthKey([]byte{}) (which must not silently fall back to the tree key).
func TestAttackEmptyKey(t *testing.T) {
	checkGoroutines(t)
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx)
	t.Run("Connect", func(t *testing.T) {
		start := time.Now()
		remote, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte{})
		el := time.Since(start)
		if err == nil {
			remote.Close()
		}
		if !errors.Is(err, uactor.ErrAuthKey) {
			t.Fatalf("Connect with an empty key = %v; want ErrAuthKey", err)
		}
		if el > 250*time.Millisecond {
			t.Fatalf("Connect with an empty key took %v; want at once", el)
		}
		t.Logf("refused in %v: %v", el, err)
	})
	t.Run("Spawn", func(t *testing.T) {
		start := time.Now()
		s, err := uactor.Spawn(ctx, CounterKind, 0, uactor.AuthKey([]byte{}))
		el := time.Since(start)
		if err == nil {
			pid := s.PID()
			s.Close()
			assertGone(t, pid, time.Second)
			t.Fatalf("Spawn with AuthKey([]byte{}) succeeded (actor pid %d, after %v); want an error at once", pid, el)
		}
		if el > time.Second {
			t.Fatalf("Spawn with an empty key took %v to fail; want at once", el)
		}
		t.Logf("refused in %v: %v", el, err)
	})
	t.Run("Host", func(t *testing.T) {
		h, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.AuthKey([]byte{}))
		if err == nil {
			h.Close()
			t.Fatal("Host with AuthKey([]byte{}) succeeded; want an error")
		}
		t.Logf("refused: %v", err)
	})
	if n := calls(t, ctx, r); n != 0 {
		t.Fatalf("%d handlers ran", n)
	}
}
