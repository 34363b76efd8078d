package uactor_test

// Key holders that declare large frames and send nothing more, against an
// actor in a process of its own, which reports its live heap.

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// heapGauge is an actor that reports its process's live heap.
type heapGauge struct{}

// Live collects garbage and returns the bytes of heap still in use.
func (heapGauge) Live(context.Context, uactor.Empty) (int64, error) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), nil
}

var (
	heapGaugeKind = uactor.Define("heap-gauge", func(context.Context, uactor.Empty) (heapGauge, error) { return heapGauge{}, nil })
	heapLive      = uactor.Expose(heapGaugeKind, "live", heapGauge.Live)
)

// unreadByPeer returns how many bytes written to the Unix socket c its
// peer has not read yet.
func unreadByPeer(t *testing.T, c net.Conn) int {
	t.Helper()
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	n, ok := uactor.UnsentBytes(rc)
	if !ok {
		t.Fatal("SIOCOUTQ failed")
	}
	return n
}

// Each of many connections declares a frame of 4 MiB and sends nothing
// more: the actor's live heap grows by a bounded amount (the frame
// package's budget for bodies allocated ahead of their bytes, 64 MiB, and
// at most 1 MiB a connection for its buffers and a body's start), not by
// what they declared.
func TestAttackStalledLargeFrames(t *testing.T) {
	const (
		conns    = 96
		declared = 4 * mib
		budget   = 64 * mib
	)
	ctx := testCtx(t, 120*time.Second)
	quiet := uactor.Logger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))) // not a line for each peer dropped
	r := spawn(t, ctx, heapGaugeKind, uactor.Empty{}, plain(quiet)...)
	for _, c := range []struct {
		name string
		want handshake.Features
		send []byte
	}{
		{"plain, length and body header", 0, frameHead(declared+12, 1, 1)},
		{"sealed, length only", handshake.FeatureSeal, binary.BigEndian.AppendUint32(nil, declared)},
	} {
		t.Run(c.name, func(t *testing.T) {
			before, err := heapLive.Call(ctx, r, uactor.Empty{})
			if err != nil {
				t.Fatal(err)
			}
			held := make([]net.Conn, conns)
			for i := range held {
				held[i] = authenticated(t, r.Address(), plainKey, c.want)
				if _, err := held[i].Write(c.send); err != nil {
					t.Fatal(err)
				}
			}
			// Wait for the actor to have read every header.
			deadline := time.Now().Add(60 * time.Second)
			for i := 0; i < conns; {
				switch {
				case unreadByPeer(t, held[i]) == 0:
					i++
				case time.Now().After(deadline):
					t.Fatalf("the actor has not read connection %d's header after 60s", i)
				default:
					time.Sleep(10 * time.Millisecond)
				}
			}
			after, err := heapLive.Call(ctx, r, uactor.Empty{})
			if err != nil {
				t.Fatal(err)
			}
			grown := after - before
			t.Logf("%d connections that declared %d KiB each: live heap %+d KiB (%+d KiB a connection)", conns, declared>>10, grown>>10, grown/conns>>10)
			if bound := int64(budget + conns*mib); grown > bound {
				t.Errorf("live heap grew by %d KiB for %d connections that declared %d KiB each (%d KiB in all); want at most %d KiB",
					grown>>10, conns, declared>>10, conns*declared>>10, bound>>10)
			}
			// And once they hang up, the actor lets go of it all.
			for _, c := range held {
				c.Close()
			}
			deadline = time.Now().Add(60 * time.Second)
			for {
				now, err := heapLive.Call(ctx, r, uactor.Empty{})
				if err != nil {
					t.Fatal(err)
				}
				if now-before < 8*mib {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("live heap still %+d KiB 60s after the connections closed", (now-before)>>10)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	if _, err := heapLive.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatalf("the actor afterwards: %v", err)
	}
}
