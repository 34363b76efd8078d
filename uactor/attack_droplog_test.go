package uactor_test

// A key holder that breaks the protocol on connection after connection
// cannot flood the actor's log: its records of the peers it dropped are
// bounded as those of failed handshakes are.

import (
	"log/slog"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
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
	key := uactor.StretchKey([]byte(plainKey)) // once: stretching is slow on purpose
	const floods = 300
	start := time.Now()
	for range floods {
		conn := dialRaw(t, r.Address())
		if _, err := handshake.Client(conn, handshake.ClientConfig{Key: key, Deadline: time.Now().Add(5 * time.Second)}); err != nil {
			t.Fatal(err)
		}
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
	out := logged.String()
	elapsed := time.Since(start)
	records, stands := countRecords(t, out, "uactor: dropped peer")
	t.Logf("%d records of %d dropped peers in %v", records, floods, elapsed.Round(time.Millisecond))
	if limit := 1 + int(elapsed/uactor.LogInterval); records == 0 || records > limit {
		t.Fatalf("%d records of %d dropped peers in %v; want 1 to %d, one an interval of %v", records, floods, elapsed, limit, uactor.LogInterval)
	}
	if stands > floods {
		t.Fatalf("the records stand for %d dropped peers; there were %d:\n%s", stands, floods, out)
	}
}
