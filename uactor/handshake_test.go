package uactor_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// keyedCounter spawns a counter with a known key, reachable by Connect.
func keyedCounter(t *testing.T, key string, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	return spawnCounter(t, testCtx(t, 20*time.Second), append(opts, uactor.AuthKey([]byte(key)))...)
}

func TestWrongKey(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := keyedCounter(t, "right")
	_, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("wrong"))
	var ake *uactor.AuthKeyError
	if !errors.Is(err, uactor.ErrAuthKey) || !errors.As(err, &ake) || ake.Address != r.Address() {
		t.Fatalf("Connect with a wrong key = %v; want *AuthKeyError for %s", err, r.Address())
	}
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("handler runs after a refused peer = %d, %v; want 0", n, err)
	}
	good, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("right"))
	if err != nil {
		t.Fatalf("Connect with the right key: %v", err)
	}
	defer good.Close()
	if pid, err := GetPID.Call(ctx, good, uactor.Empty{}); err != nil || pid != r.PID() {
		t.Fatalf("getpid through Connect = %d, %v; want %d", pid, err, r.PID())
	}
}

func TestConnectWrongKind(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := keyedCounter(t, "k")
	_, err := uactor.Connect(ctx, GhostKind, r.Address(), []byte("k"))
	if !errors.Is(err, uactor.ErrWrongActor) {
		t.Fatalf("Connect to a counter as a ghost = %v; want ErrWrongActor", err)
	}
}

// dialRaw opens a plain connection to an actor address, unix:// or tcp://.
func dialRaw(t *testing.T, address string) net.Conn {
	t.Helper()
	network, addr := "unix", strings.TrimPrefix(address, "unix://")
	if a, ok := strings.CutPrefix(address, "tcp://"); ok {
		network, addr = "tcp", a
	}
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// expectDropped waits for the actor to close c, within d.
func expectDropped(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 512)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // the actor's hello: read past it
		}
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "reset") {
			return
		}
		t.Fatalf("connection not dropped within %v: %v", d, err)
	}
}

func TestGarbageHandshake(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := keyedCounter(t, "k", uactor.HandshakeTimeout(time.Second))
	for _, junk := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", strings.Repeat("\xff", 100)} {
		c := dialRaw(t, r.Address())
		c.Write([]byte(junk))
		expectDropped(t, c, 2*time.Second)
	}
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("after garbage: calls = %d, %v", n, err)
	}
}

func TestSilentPeerCutAtDeadline(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := keyedCounter(t, "k", uactor.HandshakeTimeout(300*time.Millisecond))
	silent := dialRaw(t, r.Address())
	start := time.Now()
	// Others are served while the silent peer waits for its deadline.
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	expectDropped(t, silent, 3*time.Second)
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("silent peer dropped after %v, before its deadline", el)
	}
}

// An authenticated peer that declares a frame over the maximum is dropped,
// and the actor keeps serving others.
func TestOversizedFrame(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := keyedCounter(t, "k", uactor.MaxFrameSize(1<<20), uactor.Sealed(false)) // frames by hand
	c := dialRaw(t, r.Address())
	if _, err := handshake.Client(c, handshake.ClientConfig{Key: uactor.StretchKey([]byte("k")), Deadline: time.Now().Add(5 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	var h [16]byte
	binary.BigEndian.PutUint32(h[:], 0xFFFFFFF0) // 4 GiB declared
	h[4] = 1                                     // a call
	c.Write(h[:])
	expectDropped(t, c, 2*time.Second)
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("after an oversized frame: Add = %d, %v", n, err)
	}
}

// The actor's process dies with calls in flight: each returns an error promptly.
func TestActorKilledMidCall(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	errs := make(chan error, 3)
	for range 3 {
		go func() { _, err := Block.Call(ctx, r, time.Minute); errs <- err }()
	}
	time.Sleep(200 * time.Millisecond)
	killPID(r.PID())
	for range 3 {
		select {
		case err := <-errs:
			if !errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("in-flight call when the actor died = %v; want ErrActorDied", err)
			}
		case <-time.After(time.Second):
			t.Fatal("in-flight call hung after the actor died")
		}
	}
}

func TestEmptyAuthKeyRefused(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	if _, err := uactor.Spawn(ctx, CounterKind, 0, uactor.AuthKey([]byte{})); !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("Spawn with an empty key = %v; want ErrAuthKey", err)
	}
	if _, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.AuthKey(nil)); !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("Host with an empty key = %v; want ErrAuthKey", err)
	}
}
