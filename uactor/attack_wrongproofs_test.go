package uactor_test

// Peers without the key that send a whole handshake with a wrong proof, as
// fast as they can and more at once than the actor answers: what each costs
// the actor stays within the documented bounds.

import (
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// 1,200 connections, each sending a hello and a wrong proof at once, more
// than the rejections' penalty box and the handshake budget hold: the
// actor's goroutines stay within twice MaxHandshakes plus the penalty box,
// every ServerHello carries the one share the actor announces until a
// proof verifies (no key generation for a peer without the key), the
// connections it cannot take are closed, and its records of those, at
// Debug, are bounded like every other record a peer without the key
// provokes.
func TestAttackWrongProofFlood(t *testing.T) {
	const (
		maxHS  = 4
		floods = 1200
	)
	raiseFileLimit(t, 8192)
	ctx := testCtx(t, 90*time.Second)
	var logged uactor.LockedBuffer
	debug := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := host(t, ctx, CounterKind, &Counter{}, uactor.AuthKey([]byte("the key")), uactor.MaxHandshakes(maxHS), uactor.Logger(debug))
	if _, err := Add.Call(ctx, r, 0); err != nil { // the owner's connection is up: no handshake of ours follows
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	stopSampling := peakGoroutines()
	const dialers = 8
	const ours = 1 + dialers // the sampler, the dialers

	path := strings.TrimPrefix(r.Address(), "unix://")
	conns := make([]net.Conn, floods)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	start := time.Now()
	var wg sync.WaitGroup
	for w := range dialers {
		wg.Go(func() {
			for i := w; i < floods; i += dialers {
				c, err := net.DialTimeout("unix", path, 5*time.Second)
				if err != nil {
					continue
				}
				conns[i] = c
				c.Write(append(clientHello(0, randomBytes(32)), randomBytes(handshake.ClientProofSize)...))
			}
		})
	}
	wg.Wait()

	// Read what each gets: the ServerHello and a rejection, or nothing (closed).
	shares := map[string]int{}
	var refused, rejected int // closed unanswered, answered
	for _, c := range conns {
		if c == nil {
			refused++
			continue
		}
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		var sh [handshake.ServerHelloSize]byte
		if _, err := io.ReadFull(c, sh[:]); err != nil {
			refused++
			c.Close()
			continue
		}
		shares[string(sh[56:88])]++
		var v [handshake.ServerVerdictSize]byte
		switch _, err := io.ReadFull(c, v[:]); {
		case err == nil && v[0] == 1:
			rejected++
		case err != nil && isClosedErr(err): // evicted before its proof was read, for a newer connection
			refused++
		default:
			t.Errorf("a wrong proof got status %d, %v; want its rejection, or the connection closed", v[0], err)
		}
		c.Close()
	}
	elapsed := time.Since(start)
	peak := stopSampling()
	t.Logf("%d connections: %d rejected, %d closed unanswered, in %v; goroutines %d before, %d at the peak",
		floods, rejected, refused, elapsed.Round(time.Millisecond), base, peak)
	if growth, bound := peak-base-ours, 2*maxHS+uactor.PenaltyBox+50; growth > bound {
		t.Errorf("goroutines grew by %d; want at most twice MaxHandshakes plus the penalty box plus 50 (%d)", growth, bound)
	}
	if len(shares) != 1 {
		t.Errorf("the ServerHellos to peers without the key carried %d shares; want the one the actor announces", len(shares))
	}
	if refused == 0 {
		t.Fatal("no connection was closed unanswered: the flood did not fill the penalty box and the handshake budget")
	}
	if err := connectAndCall(ctx, r.Address(), []byte("the key")); err != nil {
		t.Fatalf("a key holder after the flood: %v", err)
	}
	// Refused at once, or evicted: the records of refusals stand for some of them.
	wantLogBounded(t, logged.String(), "uactor: connection refused: MaxHandshakes reached", refused, "connections closed unanswered", time.Since(start))
}
