package uactor_test

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
)

// A connection that ends while the actor has read only part of a large
// CALL body gives that body's charge against the process-wide budget for
// bodies allocated ahead of their bytes back as it ends, not only once the
// collector finds its reader: in a process whose heap is large, that can
// be long, and charges left meanwhile make every later large frame in the
// process start small and grow, copied as it arrives. The collector is
// off meanwhile, so that it cannot hand the charge back in the reader's
// place; each way of ending is tried a few times, as the drain's bound
// and the stop's closing of the connection race.
func TestBudgetGivenBackWhenAConnectionEndsMidBody(t *testing.T) {
	const (
		declared = 4 * mib
		rounds   = 4
	)
	gc := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc) })
	quiet := uactor.Logger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})))
	for _, c := range []struct {
		name string
		end  func(r uactor.Ref[*Counter], conn interface{ Close() error })
	}{
		// The actor stops: GOAWAY goes out, and the drain, finding the
		// peer mid-frame, reads on until its bound and then ends it.
		{"the actor stops", func(r uactor.Ref[*Counter], _ interface{ Close() error }) { r.Close() }},
		{"the peer hangs up", func(_ uactor.Ref[*Counter], conn interface{ Close() error }) { conn.Close() }},
	} {
		for i := range rounds {
			t.Run(fmt.Sprintf("%s/%d", c.name, i), func(t *testing.T) {
				ctx := testCtx(t, 30*time.Second)
				before := frame.AheadInUse()
				r, conn := hostPlain(t, ctx, CounterKind, &Counter{}, 0, uactor.GracePeriod(0), quiet)
				t.Cleanup(func() { conn.Close() })
				// A CALL that declares 4 MiB, and its first KiB.
				if _, err := conn.Write(append(frameHead(declared+12, 1, 1), zeros(1<<10)...)); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(10 * time.Second)
				for frame.AheadInUse() < before+declared {
					if time.Now().After(deadline) {
						t.Fatalf("the actor has not charged the body's %d bytes after 10s (in use %d, %d before)", declared, frame.AheadInUse(), before)
					}
					time.Sleep(time.Millisecond)
				}
				c.end(r, conn)
				deadline = time.Now().Add(10 * time.Second)
				for frame.AheadInUse() > before {
					if time.Now().After(deadline) {
						t.Fatalf("10s after the connection ended mid-body, %d bytes of the budget are still charged (%d before)", frame.AheadInUse(), before)
					}
					time.Sleep(time.Millisecond)
				}
			})
		}
	}
}
