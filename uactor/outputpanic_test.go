package uactor_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// panicky is an Output writer that panics on every line it is given.
type panicky struct{ writes *atomic.Int64 }

func (p panicky) Write([]byte) (int, error) {
	p.writes.Add(1)
	panic("an Output writer's bug")
}

// outputOwner spawns actors of its own, so that a test can see what an
// owner's process does, from outside it.
type outputOwner struct{}

var (
	outputOwnerKind = uactor.Define("output-owner", func(context.Context, uactor.Empty) (outputOwner, error) {
		return outputOwner{}, nil
	})
	// panickyOutput spawns a counter whose Output writer panics, has it
	// print n lines, and answers once the writer has been given them all.
	panickyOutput = uactor.Expose(outputOwnerKind, "panickyoutput", func(_ outputOwner, ctx context.Context, n int) (int64, error) {
		var writes atomic.Int64
		logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
		r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Output(panicky{&writes}), uactor.Logger(logger))
		if err != nil {
			return 0, err
		}
		defer r.Close()
		if _, err := Print.Call(ctx, r, n); err != nil {
			return 0, err
		}
		for end := time.Now().Add(10 * time.Second); writes.Load() < int64(n); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(end) {
				return writes.Load(), fmt.Errorf("the writer was given %d lines of %d", writes.Load(), n)
			}
		}
		return writes.Load(), nil
	})
)

// An Output writer that panics does not take its owner's process down: the
// line is lost, the panic is recorded through the owner's logger, and the
// next lines are still given to the writer. Before, the relay's goroutine
// let the panic end the owner's process.
func TestOutputPanickingWriterSparesOwner(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var out uactor.LockedBuffer
	owner := spawn(t, ctx, outputOwnerKind, uactor.Empty{}, uactor.Output(&out))
	const n = 5
	got, err := panickyOutput.Call(ctx, owner, n)
	if err != nil {
		t.Fatalf("the owner of an actor whose Output writer panics: %v\nits output:\n%s", err, out.String())
	}
	if got < n {
		t.Fatalf("the writer was given %d lines, want %d", got, n)
	}
	out.WaitFor(t, "Output writer panicked", 5*time.Second)
	if !strings.Contains(out.String(), "an Output writer's bug") {
		t.Errorf("the record of the panic does not say what it was:\n%s", out.String())
	}
	if _, err := panickyOutput.Call(ctx, owner, 1); err != nil {
		t.Fatalf("the owner after its writer panicked: %v", err)
	}
}
