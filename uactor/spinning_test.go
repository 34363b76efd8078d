package uactor_test

// Spinning and yielding reads, and bulk waits in the kernel (the Spin
// option): calls of every size, one at a time and many at once, arrive
// whole whichever way each end waits for them.

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/uactor-go/uactor/uactor"
)

func TestCallsSpinningAndYielding(t *testing.T) {
	cases := []struct {
		name  string
		procs int // GOMAXPROCS of both processes: 1 yields, 2 spins
		opts  []uactor.Option
	}{
		{"spinning", 2, nil},
		{"yielding", 1, nil},
		{"neither", 2, []uactor.Option{uactor.Spin(0)}},
		{"a long spin", 2, []uactor.Option{uactor.Spin(time.Millisecond)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOMAXPROCS", strconv.Itoa(c.procs)) // the actor's
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			ctx := testCtx(t, 60*time.Second)
			r := spawnCounter(t, ctx, c.opts...)
			if got, err := Procs.Call(ctx, r, uactor.Empty{}); err != nil || got != c.procs {
				t.Fatalf("the actor's GOMAXPROCS: %d, %v; want %d", got, err, c.procs)
			}
			// One at a time, small and bulk in turn, so that the
			// back-off and the bulk waits both come into play.
			for i := range 300 {
				size := []int{0, 1, 64, 4 << 10, 100 << 10, 1 << 20}[i%6]
				if i%50 == 49 {
					time.Sleep(2 * time.Millisecond) // a pause: spins run out
				}
				req := bytes.Repeat([]byte{byte(i)}, size)
				got, err := Echo.Call(ctx, r, req)
				if err != nil || !bytes.Equal(got, req) {
					t.Fatalf("call %d (%d B): %d B back, %v", i, size, len(got), err)
				}
			}
			// Many at once, then one at a time again.
			var callers errgroup.Group
			for g := range 16 {
				callers.Go(func() error {
					for i := range 50 {
						req := []byte(strconv.Itoa(g*1000 + i))
						got, err := Echo.Call(ctx, r, req)
						if err != nil {
							return err
						}
						if !bytes.Equal(got, req) {
							return fmt.Errorf("sent %q, got %q back", req, got)
						}
					}
					return nil
				})
			}
			if err := callers.Wait(); err != nil {
				t.Fatalf("concurrent calls: %v", err)
			}
			for i := range 100 {
				if n, err := Add.Call(ctx, r, 1); err != nil || n != int64(i+1) {
					t.Fatalf("after the concurrent calls, call %d: %d, %v", i, n, err)
				}
			}
		})
	}
}
