package uactor_test

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// tcpCounter spawns a counter on loopback TCP with a known key.
func tcpCounter(t *testing.T, listen string, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	return spawnCounter(t, testCtx(t, 20*time.Second), append([]uactor.Option{uactor.Listen(listen), uactor.AuthKey([]byte("SECRET"))}, opts...)...)
}

func port(t *testing.T, address string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(strings.TrimPrefix(address, "tcp://"))
	if err != nil || p == "0" {
		t.Fatalf("address %q has no bound port (%v)", address, err)
	}
	return p
}

func TestTCPListenAddresses(t *testing.T) {
	cases := []struct{ listen, prefix string }{
		{"tcp://127.0.0.1:0", "tcp://127.0.0.1:"},
		{"tcp://0.0.0.0:0", "tcp://0.0.0.0:"},
		{"tcp://:0", "tcp://0.0.0.0:"},
	}
	for _, c := range cases {
		t.Run(c.listen, func(t *testing.T) {
			r := tcpCounter(t, c.listen)
			if !strings.HasPrefix(r.Address(), c.prefix) {
				t.Fatalf("Address() = %q; want %s<port>", r.Address(), c.prefix)
			}
			port(t, r.Address())
		})
	}
}

func TestListenFixedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(t, "tcp://"+ln.Addr().String())
	ln.Close() // free again, for the actor
	r := tcpCounter(t, "tcp://:"+p)
	if r.Address() != "tcp://0.0.0.0:"+p {
		t.Fatalf("Address() = %q; want tcp://0.0.0.0:%s", r.Address(), p)
	}
}

// A port in use is the listener's failure, not the constructor's: the
// error names it as such, and no actor process is left behind.
func TestListenPortInUse(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = uactor.Spawn(ctx, CounterKind, int64(0), uactor.Listen("tcp://"+ln.Addr().String()), uactor.AuthKey([]byte("SECRET")))
	var re *uactor.RemoteError
	if !errors.As(err, &re) || !strings.HasSuffix(re.Method, " listener") || !strings.Contains(re.Message, "address already in use") {
		t.Fatalf("Spawn on a port in use: %v; want the listener's error", err)
	}
	if msg := err.Error(); strings.Contains(msg, "constructor") || strings.Count(msg, "uactor:") != 1 {
		t.Fatalf("Spawn on a port in use: %q; want the listener named, and \"uactor:\" once", msg)
	}
}

func TestConnectByAddressForms(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://0.0.0.0:0")
	p := port(t, r.Address())
	u := spawnCounter(t, ctx, uactor.AuthKey([]byte("SECRET")))
	for _, c := range []struct {
		addr string
		pid  int
	}{{"localhost:" + p, r.PID()}, {"tcp://127.0.0.1:" + p, r.PID()}, {u.Address(), u.PID()}} {
		remote, err := uactor.Connect(ctx, CounterKind, c.addr, []byte("SECRET"))
		if err != nil {
			t.Fatalf("Connect(%s): %v", c.addr, err)
		}
		pid, err := GetPID.Call(ctx, remote, uactor.Empty{})
		if err != nil || pid != c.pid || remote.PID() != c.pid {
			t.Fatalf("Connect(%s): getpid = %d, %v, PID() = %d; want %d", c.addr, pid, err, remote.PID(), c.pid)
		}
		if want := c.addr; !strings.Contains(want, "://") && remote.Address() != "tcp://"+want || strings.Contains(want, "://") && remote.Address() != want {
			t.Fatalf("Connect(%s): Address() = %q", c.addr, remote.Address())
		}
		remote.Close()
	}
	// Closing a connected ref leaves the actor running.
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatalf("actor after a connected ref closed: %v", err)
	}
}

func TestConnectBadAddresses(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	start := time.Now()
	if _, err := uactor.Connect(ctx, CounterKind, closed, []byte("k")); err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("Connect to a closed port took %v", el)
	}
	for _, bad := range []string{"nohost", "http://x:1", "unix://", "tcp://1.2.3.4"} {
		if _, err := uactor.Connect(ctx, CounterKind, bad, []byte("k")); err == nil {
			t.Fatalf("Connect(%q) succeeded", bad)
		}
	}
	if _, err := uactor.Connect(ctx, CounterKind, closed, nil); !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("Connect with no key = %v; want ErrAuthKey", err)
	}
}

func TestConnectToHTTPServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	ctx := testCtx(t, 10*time.Second)
	start := time.Now()
	_, err := uactor.Connect(ctx, CounterKind, srv.Listener.Addr().String(), []byte("k"))
	if !errors.Is(err, uactor.ErrProtocol) {
		t.Fatalf("Connect to an HTTP server = %v; want ErrProtocol", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v to notice an HTTP server", el)
	}
}

func TestWrongKeyTCP(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	_, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("secret"))
	if !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("wrong key over TCP = %v; want ErrAuthKey", err)
	}
}

// Frames are sealed on TCP by default: a relay sees none of a call's bytes,
// and sees them when both sides turn sealing off.
func TestTCPFramesAreSealed(t *testing.T) {
	marker := []byte("PLAINTEXT-MARKER-7c1f")
	for _, sealed := range []bool{true, false} {
		ctx := testCtx(t, 20*time.Second)
		r := tcpCounter(t, "tcp://127.0.0.1:0", uactor.Sealed(sealed))
		rl := startRelay(t, strings.TrimPrefix(r.Address(), "tcp://"), nil)
		remote, err := uactor.Connect(ctx, CounterKind, rl.addr(), []byte("SECRET"), uactor.Sealed(sealed))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Echo.Call(ctx, remote, marker); err != nil || string(got) != string(marker) {
			t.Fatalf("echo through the relay = %q, %v", got, err)
		}
		remote.Close()
		if rl.saw(marker) == sealed {
			t.Fatalf("sealed=%v: relay saw the plaintext: %v", sealed, rl.saw(marker))
		}
	}
}

// handshakeBytes is what a client sends before its first frame.
const handshakeBytes = handshake.ClientHelloSize + handshake.ClientProofSize

// A frame changed in transit closes the connection: the call fails, no
// handler runs, and the actor serves others.
func TestTamperedFrameClosesConnection(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	flip := func(conn, off int, b []byte) []byte {
		if i := handshakeBytes + 6 - off; i >= 0 && i < len(b) {
			b[i] ^= 0x40 // a byte inside the first frame's sealed body
		}
		return b
	}
	rl := startRelay(t, strings.TrimPrefix(r.Address(), "tcp://"), flip)
	if _, err := uactor.Connect(ctx, CounterKind, rl.addr(), []byte("SECRET")); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("Connect through a tampering relay = %v; want the connection dropped", err)
	}
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("after tampering: calls = %d, %v", n, err)
	}
}

// Frames recorded on one connection and replayed on another are refused:
// each connection has its own keys.
func TestFramesReplayedAcrossConnections(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	var mu sync.Mutex
	var recorded []byte
	splice := func(conn, off int, b []byte) []byte {
		mu.Lock()
		defer mu.Unlock()
		for i := range b {
			at := off + i - handshakeBytes
			switch {
			case at < 0:
			case conn == 0:
				recorded = append(recorded, b[i])
			case at < len(recorded):
				b[i] = recorded[at] // the first connection's frame, byte for byte
			}
		}
		return b
	}
	rl := startRelay(t, strings.TrimPrefix(r.Address(), "tcp://"), splice)
	first, err := uactor.Connect(ctx, CounterKind, rl.addr(), []byte("SECRET"))
	if err != nil {
		t.Fatalf("first connection: %v", err)
	}
	first.Close() // so that the next Connect dials a connection of its own
	if _, err := uactor.Connect(ctx, CounterKind, rl.addr(), []byte("SECRET")); !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("Connect with replayed frames = %v; want the connection dropped", err)
	}
}

// The actor's process is killed with calls in flight over TCP: each fails within 1 s.
func TestActorKilledMidCallTCP(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	remote, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()
	errs := make(chan error, 4)
	for range 4 {
		go func() { _, err := Block.Call(ctx, remote, time.Minute); errs <- err }()
	}
	time.Sleep(200 * time.Millisecond)
	killPID(r.PID())
	deadline := time.After(time.Second)
	for range 4 {
		select {
		case err := <-errs:
			if !errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("in-flight call = %v; want ErrActorDied", err)
			}
		case <-deadline:
			t.Fatal("an in-flight call did not fail within 1 s of the actor's death")
		}
	}
}

func TestAdvertise(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := tcpCounter(t, "tcp://0.0.0.0:0", uactor.Advertise("tcp://actor.example:1234"))
	b, err := r.AppendBinary(nil)
	if err != nil || !strings.Contains(string(b), "tcp://actor.example:1234") {
		t.Fatalf("ref handed out = %q, %v; want the advertised address", b, err)
	}
	if _, err := GetPID.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatalf("the owner still reaches its actor where it listens: %v", err)
	}
}

func TestAdvertisePortZeroMeansBoundPort(t *testing.T) {
	r := tcpCounter(t, "tcp://127.0.0.1:0", uactor.Advertise("tcp://localhost:0"))
	b, _ := r.AppendBinary(nil)
	if want := "tcp://localhost:" + port(t, r.Address()); !strings.Contains(string(b), want) {
		t.Fatalf("ref handed out = %q; want it to name %s", b, want)
	}
}

func TestAdvertisedAccessor(t *testing.T) {
	r := tcpCounter(t, "tcp://127.0.0.1:0", uactor.Advertise("tcp://localhost:0"))
	if want := "tcp://localhost:" + port(t, r.Address()); r.Advertised() != want {
		t.Fatalf("Advertised() = %q; want %q", r.Advertised(), want)
	}
	plain := tcpCounter(t, "tcp://127.0.0.1:0")
	if plain.Advertised() != plain.Address() {
		t.Fatalf("without Advertise: Advertised() = %q; want the listen address %q", plain.Advertised(), plain.Address())
	}
	var zero uactor.Ref[*Counter]
	if zero.Advertised() != "" {
		t.Fatal("zero Ref")
	}
}
