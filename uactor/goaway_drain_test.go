package uactor_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

var goAwayEcho = uactor.Expose(goAwayKind, "echo", (*Counter).Echo)

// An actor that stops for good while a client keeps sending it calls still
// gets GOAWAY to that client: the bytes of the calls it has not read as it
// closes the connection must not turn its close into a reset that the
// client reads before GOAWAY (and then redials for DialTimeout).
func TestGoAwayReachesAClientStillSending(t *testing.T) {
	parallel(t)
	ctx := testCtx(t, 20*time.Second)
	r := host(t, ctx, goAwayKind, &Counter{}, uactor.Listen("tcp://127.0.0.1:0"))
	cp := copyRef(t, r)
	req := make([]byte, 256<<10) // calls still on their way as the actor stops
	if _, err := goAwayEcho.Call(ctx, cp, req); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := goAwayEcho.Call(ctx, cp, req); err != nil {
					return
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // under way
	r.Close()
	wg.Wait()
	_, err := goAwayEcho.Call(ctx, cp, req)
	if ctx.Err() != nil {
		t.Fatalf("a call through the copy after Close was still waiting as the test gave up (%v): the copy missed GOAWAY and redials", err)
	}
	if !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("a call through the copy after Close = %v; want ErrActorDied", err)
	}
	waitDone(t, cp, 10*time.Second)
}
