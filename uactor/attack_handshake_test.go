package uactor_test

// Peers that abuse the handshake: too slow, speaking another protocol,
// replaying or reflecting what they saw.

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// A silent peer and one that drips a byte every 400 ms are both cut at the
// absolute handshake deadline, not before it, and the dripping does not
// extend it (each byte is in well within 600 ms, so a deadline per read
// would let all of them in), while 100 concurrent callers are served
// meanwhile.
func TestAttackSlowHandshakePeers(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := keyedCounter(t, "k", uactor.HandshakeTimeout(600*time.Millisecond))
	if _, err := Add.Call(ctx, r, 0); err != nil { // the owner's connection is up
		t.Fatal(err)
	}

	type result struct {
		name string
		cut  time.Duration
		err  error
	}
	results := make(chan result, 2)
	var wg sync.WaitGroup

	// Each peer's time starts before its dial, so before the actor's
	// deadline for it can: a cut sooner than 600 ms after it is early.
	silentStart := time.Now()
	silent := dialRaw(t, r.Address())
	wg.Go(func() {
		at, err := waitDrop(silent, 20*time.Second)
		results <- result{"silent", at.Sub(silentStart), err}
	})

	dripStart := time.Now()
	drip := dialRaw(t, r.Address())
	stopDrip := make(chan struct{})
	var dripped int
	wg.Go(func() {
		hello := clientHello(0, randomBytes(32)) // a valid prefix: never refused for its content
		tick := time.NewTicker(400 * time.Millisecond)
		defer tick.Stop()
		for _, b := range hello {
			if _, err := drip.Write([]byte{b}); err != nil {
				return
			}
			dripped++
			select {
			case <-tick.C:
			case <-stopDrip:
				return
			}
		}
	})
	wg.Go(func() {
		at, err := waitDrop(drip, 20*time.Second)
		results <- result{"dripping", at.Sub(dripStart), err}
		close(stopDrip)
	})

	// 100 callers at once, while both peers hold their connections.
	callStart := time.Now()
	var callers sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		callers.Go(func() {
			if _, err := Add.Call(ctx, r, 1); err != nil {
				errs <- err
			}
		})
	}
	callers.Wait()
	callTime := time.Since(callStart)
	close(errs)
	for err := range errs {
		t.Errorf("a caller during the slow handshakes: %v", err)
	}
	if n, err := Add.Call(ctx, r, 0); err != nil || n != 100 {
		t.Fatalf("count after 100 callers = %d, %v", n, err)
	}
	t.Logf("100 concurrent callers served in %v", callTime)

	wg.Wait()
	close(results)
	for res := range results {
		if res.err != nil {
			t.Errorf("%s peer: %v", res.name, res.err)
			continue
		}
		t.Logf("%s peer cut after %v", res.name, res.cut)
		if res.cut < 600*time.Millisecond {
			t.Errorf("%s peer cut after %v; want not before the 600 ms deadline", res.name, res.cut)
		}
	}
	helloLen := len(clientHello(0, randomBytes(32)))
	t.Logf("the dripping peer got %d of %d hello bytes in", dripped, helloLen)
	if dripped >= helloLen {
		t.Errorf("the dripping peer got all %d hello bytes in; the deadline should have cut it first", helloLen)
	}
	if n := calls(t, ctx, r); n != 102 {
		t.Fatalf("handlers run = %d; want the 102 Adds of the owner and the callers", n)
	}
}

// Another protocol's first bytes, or garbage, are refused at the first
// check: with the handshake's deadline an hour away, nothing else can drop
// the connection; no handler runs, and the actor serves on.
func TestAttackForeignFirstBytes(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := keyedCounter(t, "k", uactor.HandshakeTimeout(time.Hour))
	random := randomBytes(64)
	if random[0] == 'u' {
		random[0] = 'x' // a random stream that starts like the magic would not be refused at once
	}
	for _, c := range []struct{ name, junk string }{
		{"HTTP", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("\x00", 32)},
		{"random", string(random)},
		{"0xff bytes", strings.Repeat("\xff", 100)},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := dialRaw(t, r.Address())
			start := time.Now()
			if _, err := conn.Write([]byte(c.junk)); err != nil {
				t.Fatal(err)
			}
			el := expectDropped(t, conn, 10*time.Second).Sub(start)
			t.Logf("dropped after %v", el)
		})
	}
	expectUntouched(t, ctx, r)
}

// A client handshake recorded from a real Connect, replayed on a new
// connection, is rejected and runs no handler.
func TestAttackReplayedHandshake(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	rl := startRelay(t, r.Address(), nil)
	remote := connect(t, ctx, rl.addr(), "SECRET")
	remote.Close()
	replay := rl.clientSent(0)
	if len(replay) < handshakeBytes {
		t.Fatalf("recorded %d bytes of handshake; want %d", len(replay), handshakeBytes)
	}
	replay = replay[:handshakeBytes]
	c := dialRaw(t, r.Address())
	start := time.Now()
	st := verdict(t, c, replay, true)
	expectRejected(t, fmt.Sprintf("replayed handshake, after %v", time.Since(start)), st)
	expectUntouched(t, ctx, r)
}

// Reflection across two connections: A's ClientHello carries the nonce the
// server sent on B, and A's proof is made of what the server sent on B (or
// on A). No combination passes: the server proves nothing before it has
// verified a proof, so there is no server MAC to reflect.
func TestAttackReflectedHandshake(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0")
	nonceOf := func(sh []byte) []byte { return sh[8:40] }
	for _, c := range []struct {
		name  string
		proof func(shA, shB, verdictB []byte) []byte
	}{
		{"B's nonce", func(shA, shB, _ []byte) []byte { return nonceOf(shB) }},
		{"B's hello tail", func(shA, shB, _ []byte) []byte { return shB[24:56] }},
		{"A's own nonce", func(shA, shB, _ []byte) []byte { return nonceOf(shA) }},
		{"B's verdict", func(shA, shB, vB []byte) []byte { return vB[1:] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := dialRaw(t, r.Address()), dialRaw(t, r.Address())
			// The magic first: a TCP actor accepts a connection only once
			// its first bytes arrive, so a client that waits for the
			// server's hello before sending its own waits in vain.
			a.Write([]byte("uAct"))
			b.Write([]byte("uAct"))
			shA, shB := make([]byte, handshake.ServerHelloSize), make([]byte, handshake.ServerHelloSize)
			if err := readExactly(a, shA, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := readExactly(b, shB, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			// B: a hello mirroring A's server nonce, and a proof of zeros,
			// to get whatever verdict material B gives.
			vB := make([]byte, handshake.ServerVerdictSize)
			b.Write(append(clientHello(shA[5], nonceOf(shA))[4:], make([]byte, 32)...))
			if err := readExactly(b, vB, 5*time.Second); err != nil && !isClosedErr(err) {
				t.Fatal(err)
			}
			if vB[0] != 1 {
				t.Fatalf("B's zero proof: verdict status %d", vB[0])
			}
			out := append(clientHello(shA[5], nonceOf(shB))[4:], c.proof(shA, shB, vB)...)
			expectRejected(t, "reflected proof", verdict(t, a, out, false))
		})
	}
	expectUntouched(t, ctx, r)
}

// A flood of connections speaking another protocol (health checks, say)
// cannot flood the actor's log: its records of them are bounded, the first
// at once and then at most one an interval, whatever the connections'
// pace, each saying how many it stands for; and the actor serves on.
func TestAttackForeignFirstBytesLogBounded(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	var logged uactor.LockedBuffer
	r := host(t, ctx, CounterKind, &Counter{}, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey([]byte("k")),
		uactor.Logger(slog.New(slog.NewJSONHandler(&logged, nil))))
	const floods = 300
	start := time.Now()
	for range floods {
		conn := dialRaw(t, r.Address())
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, conn) // until the actor drops it, having logged it
		conn.Close()
	}
	if err := connectAndCall(ctx, r.Address(), []byte("k")); err != nil {
		t.Fatalf("a key holder after the flood: %v", err)
	}
	out := logged.String()
	elapsed := time.Since(start) // every record in out was made within it
	wantLogBounded(t, out, "uactor: protocol error in handshake", floods, "foreign connections", elapsed)
}

// A ClientHello with the uactor magic but another version (one before 4 or
// after it), a flag bit the protocol does not define, or bytes 6-7 other
// than CR LF ends the handshake (PROTOCOL.md §1): the actor closes the
// connection without a verdict, well before its handshake deadline, and
// serves on. The same hello with those fields right gets a verdict (a
// rejection: the proof is random).
func TestAttackHelloHeaderFields(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := keyedCounter(t, "k", uactor.HandshakeTimeout(time.Hour))
	for _, c := range []struct {
		name   string
		change func(h []byte)
		want   int // verdict status, or -1: closed without one
	}{
		{"version 1", func(h []byte) { h[4] = 1 }, -1},
		{"version 3", func(h []byte) { h[4] = 3 }, -1},
		{"version 5", func(h []byte) { h[4] = 5 }, -1},
		{"flag bit 2", func(h []byte) { h[5] |= 1 << 2 }, -1},
		{"flag bit 7", func(h []byte) { h[5] |= 1 << 7 }, -1},
		{"LF CR", func(h []byte) { h[6], h[7] = '\n', '\r' }, -1},
		{"CR NUL", func(h []byte) { h[7] = 0 }, -1},
		{"well formed", func([]byte) {}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			hello := clientHello(1, randomBytes(32))
			c.change(hello)
			conn := dialRaw(t, r.Address())
			if got := verdict(t, conn, append(hello, randomBytes(handshake.ClientProofSize)...), true); got != c.want {
				t.Fatalf("verdict status %d; want %d", got, c.want)
			}
		})
	}
	expectUntouched(t, ctx, r)
}
