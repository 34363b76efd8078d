package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// chattyFailing writes lines, then fails to start as its argument says:
// "error" returns an error, "panic" panics.
var chattyFailing = uactor.Define("output-chatty-failing", func(_ context.Context, how string) (uactor.Empty, error) {
	for i := range 100 {
		fmt.Fprintf(os.Stdout, "starting, step %d\n", i)
	}
	if how == "panic" {
		panic("chatty constructor gives up")
	}
	return uactor.Empty{}, errors.New("chatty constructor gives up")
})

// stuckWriter is a writer whose Writes wait until gate is closed, and that
// records a Write that begins once closed is set.
type stuckWriter struct {
	gate   chan struct{}
	closed atomic.Bool
	late   atomic.Int32
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	if w.closed.Load() {
		w.late.Add(1)
	}
	<-w.gate
	return len(p), nil
}

// Once a Spawn whose constructor failed has returned its error, Output's
// writer is given no more lines, as once the owner's Close has returned:
// there is no ref to close, and the caller may close the writer then.
// Before, the lines of the failed start that the writer had not taken
// within the output's linger reached it after Spawn had returned.
func TestOutputNoWriteAfterFailedSpawn(t *testing.T) {
	parallel(t) // its time goes in waiting
	for _, how := range []string{"error", "panic"} {
		t.Run(how, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			w := &stuckWriter{gate: make(chan struct{})}
			opened := false
			t.Cleanup(func() {
				if !opened {
					close(w.gate)
				}
			})
			r, err := uactor.Spawn(ctx, chattyFailing, how, uactor.Output(w))
			if err == nil {
				r.Close()
				t.Fatal("Spawn of a failing constructor succeeded")
			}
			w.closed.Store(true)
			close(w.gate) // the Write in progress, if any, returns: it began before
			opened = true
			time.Sleep(500 * time.Millisecond) // a line still queued is written long before
			if n := w.late.Load(); n > 0 {
				t.Fatalf("Output's writer was given %d lines after Spawn had returned %v", n, err)
			}
		})
	}
}
