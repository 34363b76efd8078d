package uactor_test

import (
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
)

// A peer that closes its connection with an answer still unread there
// makes the actor's next read fail with ECONNRESET: the peer left, as with
// EOF, so the actor records a closed connection at Debug, not a dropped
// peer at Warn, on Unix sockets and TCP alike.
func TestPeerLeavingAnswerUnreadIsChurn(t *testing.T) {
	for _, listen := range []string{"", "tcp://127.0.0.1:0"} {
		t.Run("listen="+listen, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			var logged uactor.LockedBuffer
			opts := []uactor.Option{uactor.Logger(slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))}
			if listen != "" {
				opts = append(opts, uactor.Listen(listen))
			}
			r, conn := hostPlain(t, ctx, CounterKind, &Counter{}, 0, opts...)
			if err := writeCalls(frame.NewWriter(conn, 0), 1, 1, "echo", []byte("unread")); err != nil {
				t.Fatal(err)
			}
			waitUnread(t, conn, 10*time.Second)
			conn.Close()
			// The actor serves on; then both connections' ends are recorded.
			if err := connectAndCall(ctx, r.Address(), []byte(plainKey), uactor.Sealed(false)); err != nil {
				t.Fatal(err)
			}
			ended := func() int {
				out := logged.String()
				return strings.Count(out, `"msg":"uactor: connection closed","role":"server"`) +
					strings.Count(out, `"msg":"uactor: dropped peer","role":"server"`)
			}
			for end := time.Now().Add(10 * time.Second); ended() < 2; time.Sleep(time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("the actor recorded %d connections' ends, want 2:\n%s", ended(), logged.String())
				}
			}
			if out := logged.String(); strings.Contains(out, "dropped peer") {
				t.Errorf("a peer that left with an answer unread was logged as dropped:\n%s", out)
			}
		})
	}
}

// waitUnread waits until bytes wait unread on conn, without reading them.
func waitUnread(t *testing.T, conn net.Conn, d time.Duration) {
	t.Helper()
	rc, err := conn.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(time.Millisecond) {
		var n int
		rc.Read(func(fd uintptr) bool {
			var b [1]byte
			n, _, _ = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			return true
		})
		if n > 0 {
			return
		}
	}
	t.Fatalf("nothing arrived to leave unread within %v", d)
}
