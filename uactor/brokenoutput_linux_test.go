package uactor_test

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// brokenOutput is an actor that can make its own standard output a pipe
// that nobody reads, as it is once its owner, which relays that output,
// has died.
type brokenOutput struct{}

var (
	brokenOutputKind = uactor.Define("broken-output", func(context.Context, uactor.Empty) (brokenOutput, error) {
		return brokenOutput{}, nil
	})
	// breakAndPrint breaks the actor's standard output, prints to it, and
	// answers with the write's error.
	breakAndPrint = uactor.Expose(brokenOutputKind, "breakandprint", func(brokenOutput, context.Context, uactor.Empty) (string, error) {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return "", err
		}
		syscall.Close(p[0])
		if err := syscall.Dup3(p[1], 1, 0); err != nil {
			return "", err
		}
		syscall.Close(p[1])
		_, err := os.Stdout.WriteString("to nobody\n")
		if err == nil {
			return "", nil
		}
		return err.Error(), nil
	})
)

// A write to an output pipe that nobody reads fails in the actor, instead
// of killing it with SIGPIPE before it could remove its socket directory.
func TestActorSurvivesBrokenOutput(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawn(t, ctx, brokenOutputKind, uactor.Empty{})
	got, err := breakAndPrint.Call(ctx, r, uactor.Empty{})
	if err != nil || !strings.Contains(got, "broken pipe") {
		t.Fatalf("a print to a broken output: %q, %v; want the write's EPIPE, the actor alive", got, err)
	}
}
