package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
)

// An actor that stops for good while its clients sit idle tells each
// GOAWAY and closes its connection, though none of them hangs up on its
// own: the owner's private connection and a raw client read nothing while
// they have no call in flight, and a copy of the ref only watches. The stop
// records none of them as a dropped peer, each reads GOAWAY and then the
// end of the stream (not a reset), and the copy counts the actor gone
// rather than redialling it. On a Unix socket and on TCP, spawned and
// hosted alike.
func TestGoAwayToIdleClients(t *testing.T) {
	for _, tc := range []struct {
		name   string
		listen string
		hosted bool
	}{
		{"spawned on a Unix socket", "", false},
		{"spawned on TCP", "tcp://127.0.0.1:0", false},
		{"hosted on a Unix socket", "", true},
		{"hosted on TCP", "tcp://127.0.0.1:0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parallel(t)
			ctx := testCtx(t, 30*time.Second)
			var logged uactor.LockedBuffer
			opts := plain()
			if tc.listen != "" {
				opts = append(opts, uactor.Listen(tc.listen))
			}
			var r uactor.Ref[*Counter]
			if tc.hosted {
				opts = append(opts, uactor.Logger(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo}))))
				r = host(t, ctx, goAwayKind, &Counter{}, opts...)
			} else {
				// The actor logs at Info and up to its standard error,
				// which Output hands to logged.
				opts = append(opts, uactor.Output(&logged), uactor.Logger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))))
				r = spawn(t, ctx, goAwayKind, uactor.Empty{}, opts...)
			}
			raw := authenticated(t, r.Address(), plainKey, 0)
			raw.SetDeadline(time.Now().Add(10 * time.Second)) // bounds the test, should the actor never answer or close
			// A call, answered, so that the actor serves the raw connection.
			if err := writeCalls(frame.NewWriter(raw, 0), 1, 1, "calls", nil); err != nil {
				t.Fatal(err)
			}
			rr := frame.NewReader(raw, 0)
			if h, buf, err := rr.ReadFrame(); err != nil || h.Type != frame.TypeReply {
				t.Fatalf("the raw client's call: a %v frame, %v; want a reply", h.Type, err)
			} else {
				buf.Release()
			}
			cp := copyRef(t, r)
			if _, err := goAwayAdd.Call(ctx, cp, 1); err != nil {
				t.Fatalf("through the copy before Close: %v", err)
			}
			if _, err := goAwayAdd.Call(ctx, r, 1); err != nil {
				t.Fatalf("through the owner's ref before Close: %v", err)
			}

			r.Close()

			if err := readUntilGoAway(rr); err != nil {
				t.Errorf("the raw idle client: %v", err)
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := goAwayAdd.Call(cctx, cp, 1)
			if cctx.Err() != nil || !errors.Is(err, uactor.ErrActorDied) {
				t.Errorf("the call through the idle copy after Close = %v (its ctx: %v); want ErrActorDied at once: the copy missed GOAWAY and redials", err, cctx.Err())
			}
			waitDone(t, cp, 10*time.Second)
			// Close has returned, and with it the lines the actor wrote.
			if out := logged.String(); strings.Contains(out, "dropped peer") || strings.Contains(out, "level=WARN") {
				t.Errorf("the actor, stopping with idle clients, recorded:\n%s", out)
			}
		})
	}
}

// readUntilGoAway reads frames with r, from a plain connection, skipping
// keepalive's, and fails unless the next is GOAWAY and the stream then
// ends cleanly (not with a reset).
func readUntilGoAway(r *frame.Reader) error {
	for {
		h, buf, err := r.ReadFrame()
		if err != nil {
			return fmt.Errorf("read %w before GOAWAY", err)
		}
		buf.Release()
		if h.Type == frame.TypeGoAway {
			break
		}
		if h.Type != frame.TypePing && h.Type != frame.TypePong {
			return fmt.Errorf("read a %v frame, not GOAWAY", h.Type)
		}
	}
	if h, _, err := r.ReadFrame(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("after GOAWAY, read a %v frame and %v; want the end of the stream", h.Type, err)
	}
	return nil
}
