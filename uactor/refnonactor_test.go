package uactor_test

import (
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// A ref naming an address where something that does not speak uactor's
// protocol answers (an HTTP server, say: a port reused, or a forged ref)
// fails its call with ErrProtocol, and the actor counts as gone at once:
// dialling it again for the rest of DialTimeout could not find an actor
// there, and would only knock on a stranger's door again and again.
func TestRefToNonActorDialsOnce(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	c := spawnCounter(t, ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			conn.Close()
		}
	}()
	r, _ := forgeRef(t, c, "tcp://"+ln.Addr().String())
	_, err = Add.Call(ctx, r, 1)
	if !errors.Is(err, uactor.ErrProtocol) || !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("a call through a ref to an HTTP server = %v; want ErrProtocol and ErrActorDied", err)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("the ref dialled the HTTP server %d times; want once", n)
	}
	if !isDone(r) {
		t.Error("Done still open: the ref would dial the server again")
	}
}

// refWithID is r's binary form with id in place of its actor's.
func refWithID(t *testing.T, r uactor.Ref[*Counter], id [16]byte) []byte {
	t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rd := wire.NewReader(b[1:])
	kind := rd.String()
	rd.Raw(16)
	rest := rd.Raw(rd.Len())
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	out := wire.AppendString([]byte{b[0]}, kind)
	return append(append(out, id[:]...), rest...)
}

// No process writes a ref with the zero actor id, which a dial takes for
// "any actor": decoded, such a ref would reach whichever actor serves at
// its address with the key, one that replaced its actor there too, which
// a ref never may. It fails to decode, with ErrDecode.
func TestRefWithZeroActorID(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	c := spawnCounter(t, ctx)
	var r uactor.Ref[*Counter]
	err := r.UnmarshalBinary(refWithID(t, c, [16]byte{}))
	if err == nil {
		defer r.Close()
		_, callErr := Add.Call(ctx, r, 1)
		t.Fatalf("a ref naming the zero actor id decoded, and its call reached the actor there (%v); want ErrDecode", callErr)
	}
	if !errors.Is(err, uactor.ErrDecode) {
		t.Fatalf("a ref naming the zero actor id: %v; want ErrDecode", err)
	}
}

// No process writes a ref naming these addresses, and each fails to
// decode, with ErrDecode: a relative socket path (Listen and Advertise make
// theirs absolute), read against the receiver's working directory, would
// name another socket than its writer's; a NUL ends a path early where the
// system reads it; port 0 (any port, to listen) is no actor's, and would
// fail only once dialled, after DialTimeout; and an address over 1024
// bytes is one Advertise refuses.
func TestRefWithAddressNoProcessWrites(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	c := spawnCounter(t, ctx)
	for _, address := range []string{
		"unix://actor.sock",
		"unix:///tmp/a\x00b.sock",
		"tcp://127.0.0.1:0",
		"tcp://" + strings.Repeat("h", 1100) + ":1",
	} {
		var r uactor.Ref[*Counter]
		err := r.UnmarshalBinary(refWithAddress(t, c, address))
		if err == nil {
			r.Close()
			t.Errorf("a ref naming %.40q decoded, to reach %.40s; want ErrDecode", address, r.Address())
			continue
		}
		if !errors.Is(err, uactor.ErrDecode) {
			t.Errorf("a ref naming %.40q: %v; want ErrDecode", address, err)
		}
	}
}

// refWithAddress is r's binary form naming address instead of r's.
func refWithAddress(t *testing.T, r uactor.Ref[*Counter], address string) []byte {
	t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rd := wire.NewReader(b[1:])
	kind, id, _, pid := rd.String(), rd.Raw(16), rd.String(), rd.Uvarint()
	keyID := rd.Raw(rd.Len())
	if err := rd.Close(); err != nil {
		t.Fatal(err)
	}
	out := wire.AppendString(append(wire.AppendString([]byte{b[0]}, kind), id...), address)
	return append(wire.AppendUvarint(out, pid), keyID...)
}

// A ref whose key id names a key other than its actor's (forged, or
// written by a process that knew the key by another id) fails its calls
// with *AuthKeyError, and says the key is wrong: not that the actor, alive
// and serving, is gone.
func TestRefWithAnotherKeysID(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	x := spawnCounter(t, ctx, uactor.AuthKey([]byte("x's key")))
	y := spawnCounter(t, ctx) // the tree's key
	xb, err := x.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	yb, err := y.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	const keyIDSize = 8 // a ref's last bytes
	forged := append(xb[:len(xb)-keyIDSize:len(xb)-keyIDSize], yb[len(yb)-keyIDSize:]...)
	var r uactor.Ref[*Counter]
	if err := r.UnmarshalBinary(forged); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	_, err = Add.Call(ctx, r, 1)
	var ake *uactor.AuthKeyError
	if !errors.As(err, &ake) || ake.Address != x.Address() {
		t.Fatalf("a call through x's ref naming the tree key's id = %v; want *AuthKeyError for %s", err, x.Address())
	}
	if strings.Contains(err.Error(), "is gone") {
		t.Errorf("the error says the actor is gone, where the key is wrong: %v", err)
	}
	if n, err := Add.Call(ctx, x, 1); err != nil || n != 1 {
		t.Fatalf("x itself afterwards: Add = %d, %v; want 1", n, err)
	}
}
