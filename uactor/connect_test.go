package uactor_test

// Where an actor listens, the address it hands out, and how Connect reaches it.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/uactor"
)

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
	p := freePort(t)
	r := tcpCounter(t, "tcp://:"+p)
	if r.Address() != "tcp://0.0.0.0:"+p {
		t.Fatalf("Address() = %q; want tcp://0.0.0.0:%s", r.Address(), p)
	}
}

// A port in use is the listener's failure, not the constructor's: the
// error names it as such, and no actor process is left behind.
func TestListenPortInUse(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	ln := listenTCP(t)
	before := proctest.Children(os.Getpid())
	err := spawnFails(t, ctx, CounterKind, 0, uactor.Listen("tcp://"+ln.Addr().String()), uactor.AuthKey([]byte("SECRET")))
	if after := proctest.Children(os.Getpid()); !slices.Equal(after, before) {
		t.Errorf("this process's children: %v before the failed Spawn, %v after; want none left, not even a zombie", before, after)
	}
	var re *uactor.RemoteError
	if !errors.As(err, &re) || !strings.HasSuffix(re.Method, " listener") || !strings.Contains(re.Message, "address already in use") {
		t.Fatalf("Spawn on a port in use: %v; want the listener's error", err)
	}
	if msg := err.Error(); strings.Contains(msg, "constructor") || strings.Count(msg, "uactor:") != 1 {
		t.Fatalf("Spawn on a port in use: %q; want the listener named, and \"uactor:\" once", msg)
	}
	// The system's reason keeps its identity across the bootstrap, as it
	// has from Host, so that a program tells a port in use from other
	// failures the same way for both.
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Spawn on a port in use: %v; want errors.Is(err, syscall.EADDRINUSE)", err)
	}
	_, err = uactor.Host(ctx, CounterKind, &Counter{}, uactor.Listen("tcp://"+ln.Addr().String()), uactor.AuthKey([]byte("SECRET")))
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Host on a port in use: %v; want errors.Is(err, syscall.EADDRINUSE)", err)
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
		remote := connect(t, ctx, c.addr, "SECRET")
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

// Connect is not a call: the metadata of its context, past the bound that
// a call's must keep within, neither fails it nor travels.
func TestConnectCarriesNoCallMetadata(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	key := uactor.NewKey()
	r := host(t, ctx, CounterKind, &Counter{}, uactor.AuthKey(key))
	big := uactor.WithMetadata(ctx, "k", strings.Repeat("x", uactor.MaxMetadataSize))
	c, err := uactor.Connect(big, CounterKind, r.Address(), key)
	if err != nil {
		t.Fatalf("Connect with a context holding more metadata than a call may carry: %v", err)
	}
	defer c.Close()
	if _, err := Add.Call(big, c, 1); !errors.Is(err, uactor.ErrMetadataTooLarge) {
		t.Fatalf("a call with that context: %v; want ErrMetadataTooLarge", err)
	}
}

func TestConnectBadAddresses(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	// Refused by the system, not given up on at the dial timeout: the error
	// says which, and what to check: a newcomer's actor may have been
	// spawned without Listen, on a Unix socket of its own.
	if _, err := uactor.Connect(ctx, CounterKind, closed, []byte("k"), uactor.DialTimeout(time.Hour)); !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "Listen") {
		t.Fatalf("Connect to a closed port = %v; want ECONNREFUSED, saying to check the actor's Listen", err)
	}
	missing := "unix://" + filepath.Join(t.TempDir(), "actor.sock")
	if _, err := uactor.Connect(ctx, CounterKind, missing, []byte("k"), uactor.DialTimeout(time.Hour)); !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), "Listen") {
		t.Fatalf("Connect to a socket path that does not exist = %v; want ENOENT, saying to check the actor's Listen", err)
	}
	// No key at all: the error names the key Connect wants.
	_, err := uactor.Connect(ctx, CounterKind, closed, nil)
	if !errors.Is(err, uactor.ErrAuthKey) || !strings.Contains(err.Error(), "AuthKey") {
		t.Fatalf("Connect with no key = %v; want ErrAuthKey, saying which key to give", err)
	}
	if ake, ok := errors.AsType[*uactor.AuthKeyError](err); !ok || ake.Address != "tcp://"+closed {
		t.Fatalf("Connect with no key = %v; want an *AuthKeyError naming tcp://%s", err, closed)
	}
	for _, bad := range []string{"nohost", "http://x:1", "unix://", "tcp://1.2.3.4"} {
		if _, err := uactor.Connect(ctx, CounterKind, bad, []byte("k")); err == nil {
			t.Fatalf("Connect(%q) succeeded", bad)
		}
	}
}

// An actor that turns a connection away before the handshake begins (here
// a relay in front of it closes the first two it accepts, as an actor whose
// handshake budget is full under a flood does) is dialled again, backing
// off: Connect gets in on the third. One that always does fails once
// DialTimeout has passed, saying so.
func TestConnectRetriesWhenTurnedAway(t *testing.T) {
	for _, tc := range []struct {
		name string
		next func(*relay) *atomic.Int32 // how many connections the relay is to turn away so
	}{
		{"closed at once", func(rl *relay) *atomic.Int32 { return &rl.turnAway }},
		{"closed instead of the verdict", func(rl *relay) *atomic.Int32 { return &rl.hangUp }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := tcpCounter(t, "tcp://127.0.0.1:0")
			rl := startRelay(t, r.Address(), nil)
			tc.next(rl).Store(2)
			remote := connect(t, ctx, "tcp://"+rl.addr(), "SECRET")
			if n, err := Add.Call(ctx, remote, 1); err != nil || n != 1 {
				t.Fatalf("Add through the relay = %d, %v", n, err)
			}
			if n := rl.accepted.Load(); n != 3 {
				t.Fatalf("the relay accepted %d connections; want 3: two turned away, then the one that got in", n)
			}

			tc.next(rl).Store(1 << 30)
			_, err := uactor.Connect(ctx, CounterKind, "tcp://"+rl.addr(), []byte("SECRET"), uactor.DialTimeout(200*time.Millisecond))
			if !errors.Is(err, handshake.ErrTurnedAway) {
				t.Fatalf("Connect to an actor that always turns away = %v; want its ErrTurnedAway", err)
			}
			// The library names the peer once (a system error may add its own
			// "local->remote" after that).
			if msg := err.Error(); strings.Count(msg, "uactor:") != 1 || strings.Count(msg, "with "+rl.addr())+strings.Count(msg, "tcp://"+rl.addr()) != 1 {
				t.Fatalf("Connect's error %q; want \"uactor:\" and the address once each", msg)
			}
			if ctx.Err() != nil {
				t.Fatal("Connect retried until the test's own deadline")
			}
		})
	}
}

// An actor whose Unix socket's backlog is full (under a flood it accepts
// nothing more until handshakes end: see PROTOCOL.md, Admission) has the
// system refuse a connect at once (EAGAIN), where a TCP connect would wait
// for the backlog: Connect dials again, as when it is turned away, and
// gets in once the backlog drains.
func TestConnectRetriesWhenBacklogFull(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx, uactor.AuthKey([]byte("SECRET")))
	// A front with the smallest backlog, which relays to the actor once it
	// starts accepting. Not t.TempDir: its long paths can exceed the socket
	// path limit.
	dir, err := os.MkdirTemp("", "front")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	front := dir + "/s"
	syscall.ForkLock.RLock() // so that no actor spawned meanwhile inherits it
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: front}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), front)
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var relays sync.WaitGroup
	t.Cleanup(relays.Wait)
	t.Cleanup(func() { ln.Close() })
	filler, err := net.Dial("unix", front)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	if c, err := net.Dial("unix", front); !errors.Is(err, syscall.EAGAIN) {
		if c != nil {
			c.Close()
		}
		t.Skipf("a connect past a full backlog = %v; this system does not refuse it with EAGAIN", err)
	}
	relays.Go(func() {
		time.Sleep(300 * time.Millisecond)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("unix", strings.TrimPrefix(r.Address(), "unix://"))
			if err != nil {
				c.Close()
				continue
			}
			relays.Go(func() { io.Copy(s, c); s.Close() })
			relays.Go(func() { io.Copy(c, s); c.Close() })
		}
	})
	remote, err := uactor.Connect(ctx, CounterKind, "unix://"+front, []byte("SECRET"), uactor.DialTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("Connect to an actor whose backlog drains after 300 ms: %v", err)
	}
	defer remote.Close()
	if n, err := Add.Call(ctx, remote, 1); err != nil || n != 1 {
		t.Fatalf("Add through the front = %d, %v", n, err)
	}
}

func TestConnectToHTTPServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	ctx := testCtx(t, 10*time.Second)
	// With the handshake's deadline an hour away, only the server's first
	// bytes can end it: a Connect that waited for more would outlast ctx and
	// fail with a timeout instead.
	_, err := uactor.Connect(ctx, CounterKind, srv.Listener.Addr().String(), []byte("k"), uactor.HandshakeTimeout(time.Hour))
	if !errors.Is(err, uactor.ErrProtocol) {
		t.Fatalf("Connect to an HTTP server = %v; want ErrProtocol", err)
	}
}

// A Connect that gives up on its context leaves nothing behind: the dial it
// started stops with it and closes its socket at once, not when the
// handshake's own timeout (here a minute) runs out.
func TestConnectGivenUpClosesItsDial(t *testing.T) {
	ctx := testCtx(t, 60*time.Second) // and no goroutine outlives the test
	ln := listenTCP(t)
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // and never a word: the handshake waits
		}
	}()
	for range 3 {
		cctx, cancel := context.WithCancel(ctx)
		connected := make(chan error, 1)
		go func() {
			_, err := uactor.Connect(cctx, CounterKind, "tcp://"+ln.Addr().String(), []byte("k"), uactor.HandshakeTimeout(time.Minute))
			connected <- err
		}()
		c := receive(t, accepted, 10*time.Second, "Connect's dial was not accepted")
		cancel() // while its handshake waits for the actor's hello
		if err := receive(t, connected, 10*time.Second, "Connect did not return once its context ended"); !errors.Is(err, context.Canceled) {
			t.Fatalf("Connect = %v; want context.Canceled", err)
		}
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err := io.Copy(io.Discard, c) // until the client's end closes
		c.Close()
		if err != nil {
			t.Fatalf("a Connect that gave up still holds its connection open: %v", err)
		}
	}
}

// A call waiting for a reconnect when its ref is closed fails with
// ErrClosed: the dial that Close cut short is not the caller's context
// ending, and must not read as context.Canceled.
func TestCloseDuringReconnectFailsClosed(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	ln := listenTCP(t)
	key := []byte("reconnect key")
	second := make(chan net.Conn, 1)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		answerInfo(c, key, "tcp://"+ln.Addr().String()) // the first connection answers the info call, then ends
		c.Close()
		if c, err := ln.Accept(); err == nil {
			second <- c // the reconnect: accepted, and never a word
		}
	}()
	r, err := uactor.Connect(ctx, CounterKind, "tcp://"+ln.Addr().String(), key, uactor.Sealed(false), uactor.HandshakeTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	c2 := receive(t, second, 10*time.Second, "no reconnect")
	defer c2.Close()
	called := make(chan error, 1)
	go func() { _, err := Add.Call(ctx, r, 1); called <- err }()
	for !goroutineIn("uactor.(*peer).conn") { // until the call waits for the dial
		if ctx.Err() != nil {
			t.Fatal("the call never waited for the reconnect")
		}
		time.Sleep(time.Millisecond)
	}
	r.Close()
	err = receive(t, called, 10*time.Second, "the call did not return after Close")
	if errors.Is(err, context.Canceled) || !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("a call on a ref closed while it waited for a reconnect = %v; want ErrClosed, not context.Canceled", err)
	}
}

// goroutineIn reports whether some goroutine's stack holds fn.
func goroutineIn(fn string) bool {
	var b strings.Builder
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	return strings.Contains(b.String(), fn)
}

// A Connect to an address whose actor was replaced reaches the new actor,
// even while an older ref connected there is still reconnecting to the old
// one: the connection they share is bound to the actor it served, and
// finds it gone; the Connect then dials afresh.
func TestConnectWhileOlderRefReconnects(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	listen := "tcp://127.0.0.1:" + freePort(t)
	opts := []uactor.Option{uactor.Listen(listen), uactor.AuthKey([]byte("k"))}
	for round := range 3 {
		first, err := uactor.Spawn(ctx, CounterKind, 0, opts...)
		if err != nil {
			t.Fatal(err)
		}
		older := connect(t, ctx, listen, "k")
		if _, err := Add.Call(ctx, older, 1); err != nil {
			t.Fatal(err)
		}
		first.Close() // older's connection breaks: it reconnects, to first only
		second, err := uactor.Spawn(ctx, CounterKind, 0, opts...)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := uactor.Connect(ctx, CounterKind, listen, []byte("k"))
		if err != nil {
			t.Fatalf("round %d: Connect to the actor serving at %s: %v", round, listen, err)
		}
		if pid, err := GetPID.Call(ctx, fresh, uactor.Empty{}); err != nil || pid != second.PID() {
			t.Fatalf("round %d: the new ref reaches %d, %v; want %d", round, pid, err, second.PID())
		}
		fresh.Close()
		older.Close()
		second.Close()
	}
}

// slowStarter takes its argument's time to start: a restart leaves its
// address without a listener for that long.
type slowStarter struct{}

func (slowStarter) PID(context.Context, uactor.Empty) (int, error) { return os.Getpid(), nil }

var (
	slowStarterKind = uactor.Define("connect-slow-starter", func(ctx context.Context, d time.Duration) (slowStarter, error) {
		time.Sleep(d)
		return slowStarter{}, nil
	})
	slowStarterPID = uactor.Expose(slowStarterKind, "pid", slowStarter.PID)
)

// A Connect while the actor restarts, and an older ref reconnects to it,
// joins that reconnect, which retries until the actor serves again, instead
// of failing at once on the address's refused dial.
func TestConnectWhileActorRestarts(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	listen := "tcp://127.0.0.1:" + freePort(t)
	key := []byte("k")
	owner, err := uactor.Spawn(ctx, slowStarterKind, 300*time.Millisecond, uactor.Listen(listen), uactor.AuthKey(key), uactor.Restart(5, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	older, err := uactor.Connect(ctx, slowStarterKind, listen, key)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Close()
	pid, err := slowStarterPID.Call(ctx, older, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	killPID(pid) // restarted at once, and listening again 300 ms later
	for !uactor.Reconnecting(older) {
		select {
		case <-ctx.Done():
			t.Fatal("the older ref did not notice the actor's death")
		case <-time.After(time.Millisecond):
		}
	}
	fresh, err := uactor.Connect(ctx, slowStarterKind, listen, key)
	if err != nil {
		t.Fatalf("Connect while the actor restarts: %v", err)
	}
	defer fresh.Close()
	if got, err := slowStarterPID.Call(ctx, fresh, uactor.Empty{}); err != nil || got == pid {
		t.Fatalf("the new ref reaches %d, %v; want the restarted process", got, err)
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
	for _, spec := range []string{"tcp://localhost:0", "tcp://localhost:00"} {
		r := tcpCounter(t, "tcp://127.0.0.1:0", uactor.Advertise(spec))
		b, _ := r.AppendBinary(nil)
		if want := "tcp://localhost:" + port(t, r.Address()); !strings.Contains(string(b), want) {
			t.Errorf("Advertise(%q): ref handed out = %q; want it to name %s", spec, b, want)
		}
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
	// A ref from Connect carries what the actor advertises, not the
	// address this process happened to dial; where the actor names all
	// interfaces, the address dialled is the better one to carry.
	ctx := testCtx(t, 20*time.Second)
	all := tcpCounter(t, "tcp://0.0.0.0:0")
	mapped := tcpCounter(t, "tcp://[::ffff:0.0.0.0]:0") // all interfaces too
	for _, c := range []struct {
		name          string
		r             uactor.Ref[*Counter]
		dial, carried string
	}{
		{"advertised", r, r.Address(), r.Advertised()},
		{"listening on all interfaces", all, "tcp://127.0.0.1:" + port(t, all.Address()), "tcp://127.0.0.1:" + port(t, all.Address())},
		{"listening on all interfaces, IPv4-mapped", mapped, "tcp://127.0.0.1:" + port(t, mapped.Address()), "tcp://127.0.0.1:" + port(t, mapped.Address())},
	} {
		conn, err := uactor.Connect(ctx, CounterKind, c.dial, []byte("SECRET"))
		if err != nil {
			t.Fatal(err)
		}
		if got := conn.Advertised(); got != c.carried {
			t.Errorf("%s: Connect(%s).Advertised() = %q; want %q", c.name, c.dial, got, c.carried)
		}
		conn.Close()
	}
}

// The owner reaches its actor over a connection only the two hold: its calls
// need no dial (and work with the actor's socket gone), while others dial.
func TestOwnerHasPrivateConnection(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	sock := t.TempDir() + "/a.sock"
	r := spawnCounter(t, ctx, uactor.Listen("unix://"+sock), uactor.AuthKey([]byte("k")))
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("owner's call with the socket gone: %d, %v", n, err)
	}
	if _, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("k")); err == nil {
		t.Fatal("Connect reached an actor whose socket is gone")
	}
}
