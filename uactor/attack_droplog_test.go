package uactor_test

// A key holder that breaks the protocol, goes silent or hangs up on
// connection after connection cannot flood the actor's log: its records of
// the peers it dropped are bounded as those of failed handshakes are.

import (
	"encoding/binary"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
)

// 300 connections, each authenticated and then sending a frame of a type
// outside the protocol, are each dropped; the actor records them at most
// once an interval, each record saying how many it stands for, and serves
// on.
func TestAttackProtocolErrorsLogBounded(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	var logged uactor.LockedBuffer
	r := host(t, ctx, CounterKind, &Counter{}, plain(uactor.Logger(slog.New(slog.NewJSONHandler(&logged, nil))))...)
	const floods = 300
	start := time.Now()
	for range floods {
		conn := authenticated(t, r.Address(), plainKey, 0)
		if _, err := conn.Write(frameHead(frame.BodyHeaderSize, 9, 1)); err != nil {
			t.Fatal(err)
		}
		expectDropped(t, conn, 10*time.Second)
		conn.Close()
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor after the flood: Add = %d, %v", n, err)
	}
	// The last drop may be recorded just after its connection closed.
	time.Sleep(100 * time.Millisecond)
	wantLogBounded(t, logged.String(), "uactor: dropped peer", floods, "dropped peers", time.Since(start))
}

// Connections that authenticate and then go silent, or hang up while their
// calls hold the connection's buffer, are each dropped; the actor's Info
// records of them are limited as the Warn ones above are.
func TestAttackSilentAndHungUpPeersLogBounded(t *testing.T) {
	const peers = 30
	for _, c := range []struct {
		name string
		msg  string
		opts []uactor.Option
		// peer does with an authenticated connection what the attack's
		// peer does, after which the actor drops it.
		peer func(t *testing.T, conn net.Conn)
	}{
		{"silent", "uactor: dropped silent peer", []uactor.Option{uactor.Keepalive(50 * time.Millisecond)},
			func(t *testing.T, conn net.Conn) {}},
		{"hung up at the buffer bound", "uactor: dropped a peer that hung up while its calls held the connection's buffer or slots",
			[]uactor.Option{uactor.Keepalive(50 * time.Millisecond), uactor.ConnBuffer(1)},
			func(t *testing.T, conn net.Conn) {
				w := frame.NewWriter(conn, 0)
				if err := writeCalls(w, 1, 2, "block", binary.AppendVarint(nil, int64(time.Minute))); err != nil {
					t.Fatal(err)
				}
				conn.(interface{ CloseWrite() error }).CloseWrite() // hung up, as the actor's look finds, with nothing to read
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			var logged uactor.LockedBuffer
			r := host(t, ctx, CounterKind, &Counter{}, plain(append(c.opts, uactor.Logger(slog.New(slog.NewJSONHandler(&logged, nil))))...)...)
			start := time.Now()
			conns := make([]net.Conn, peers)
			for i := range conns {
				conns[i] = authenticated(t, r.Address(), plainKey, 0)
				c.peer(t, conns[i])
			}
			for _, conn := range conns {
				expectDropped(t, conn, 10*time.Second)
			}
			// The last drop may be recorded just after its connection closed.
			time.Sleep(100 * time.Millisecond)
			wantLogBounded(t, logged.String(), c.msg, peers, "dropped peers", time.Since(start))
		})
	}
}
