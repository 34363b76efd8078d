package uactor

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
)

// A write that waits counts what each system call wrote as it goes, not
// only once it ends: keepalive reads the count while the write lasts.
func TestDeadlineConnCountsAsItWrites(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(dc *deadlineConn, ctx context.Context, b []byte) error
	}{
		{"Write", func(dc *deadlineConn, ctx context.Context, b []byte) error {
			_, err := dc.WriteContext(ctx, b)
			return err
		}},
		{"WriteBuffers", func(dc *deadlineConn, ctx context.Context, b []byte) error {
			v := net.Buffers{b[:10], b[10:]}
			_, err := dc.WriteBuffersContext(ctx, &v)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, peer := conntest.Unix(t)
			dc := withWriteTimeout(a, 0)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b := make([]byte, 32<<20) // far more than the socket holds
			wrote := make(chan error, 1)
			go func() { wrote <- tc.write(dc, ctx, b) }()
			whenWaiting(dc)
			before := dc.sent.Load()
			if _, err := io.ReadFull(peer, make([]byte, 8<<20)); err != nil {
				t.Fatal(err)
			}
			for dc.sent.Load() == before { // bounded by ctx: the write is cut then
				select {
				case err := <-wrote:
					t.Fatalf("the write ended (%v) before its count moved", err)
				default:
				}
				time.Sleep(time.Millisecond)
			}
			go io.Copy(io.Discard, peer)
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
			if got := dc.sent.Load(); got != uint64(len(b)) {
				t.Fatalf("counted %d bytes; want %d", got, len(b))
			}
		})
	}
}
