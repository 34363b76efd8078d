package uactor_test

// Output: what an actor process writes reaches its owner, line by line.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// gated is a writer whose every Write waits until gate is closed.
type gated struct {
	gate chan struct{}
	w    io.Writer
}

func (g gated) Write(p []byte) (int, error) {
	<-g.gate
	return g.w.Write(p)
}

// Every line an actor writes, to stdout or stderr, reaches Output's writer
// with the kind and pid in front: panic traces too, and a last line that
// the crash cut short.
func TestOutputPrefixesEveryLine(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var out uactor.LockedBuffer
	r := spawnCounter(t, ctx, uactor.Output(&out))
	pid := r.PID()
	prefix := fmt.Sprintf("counter[%d] ", pid)
	if _, err := Print.Call(ctx, r, 4); err != nil {
		t.Fatal(err)
	}
	out.WaitFor(t, prefix+"line 3 of 4", 5*time.Second)
	Crash.Call(ctx, r, "boom in a goroutine")
	waitDone(t, r, 10*time.Second)
	out.WaitFor(t, prefix+"panic: boom in a goroutine", 5*time.Second)
	got := out.String()
	for _, want := range []string{prefix + "line 0 of 4", prefix + "line 1 of 4", prefix + "cut short by the crash\n", prefix + "goroutine "} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !strings.HasPrefix(line, prefix) {
			t.Errorf("line without the actor's prefix: %q", line)
		}
	}
}

// What an actor's own actor printed before the actor stopped reaches the
// owner whole: the stopping actor passes on what its actors' pipes and its
// relay still hold before its process exits. The lines are more than a
// pipe holds, so some are still in one when the call returns.
func TestOutputOfNestedActorSurvivesItsOwnersStop(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	for round := range 3 {
		var out uactor.LockedBuffer
		r := spawnCounter(t, ctx, uactor.Output(&out))
		if _, err := SpawnChild.Call(ctx, r, uactor.Empty{}); err != nil {
			t.Fatal(err)
		}
		const n = 1000
		if got, err := PrintKids.Call(ctx, r, n); err != nil || got != n {
			t.Fatalf("printchildren = %d, %v; want %d", got, err, n)
		}
		r.Close() // returns once the actor's process has ended and its output is relayed
		lines := strings.Count(out.String(), fmt.Sprintf(" of %d x", n))
		if lines != n {
			t.Fatalf("round %d: %d of the grandchild's %d lines reached the owner", round, lines, n)
		}
	}
}

// A writer that blocks never holds the actor up: a call that prints 2 MB
// returns while the writer is stuck. Once the writer moves, every line is
// either delivered or counted in a "[N lines dropped]" line.
func TestOutputBlockedWriterNeverBlocksActor(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	var out uactor.LockedBuffer
	gate := make(chan struct{})
	r := spawnCounter(t, ctx, uactor.Output(gated{gate, &out}))
	const n = 20000
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := Print.Call(pctx, r, n); err != nil {
		t.Fatalf("printing while the writer is blocked: %v", err)
	}
	close(gate)
	r.Close()
	dropped := regexp.MustCompile(`\[(\d+) lines dropped\]`)
	var delivered, lost int
	for end := time.Now().Add(10 * time.Second); delivered+lost < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d lines delivered and %d counted as dropped, of %d", delivered, lost, n)
		}
		got := out.String()
		delivered, lost = strings.Count(got, " line "), 0
		for _, m := range dropped.FindAllStringSubmatch(got, -1) {
			k, _ := strconv.Atoi(m[1])
			lost += k
		}
	}
	if delivered+lost != n || lost == 0 {
		t.Fatalf("%d delivered + %d dropped; want %d, some dropped", delivered, lost, n)
	}
	t.Logf("writer blocked: %d lines delivered, %d dropped and counted", delivered, lost)
}

// Actors printing at once each get all their lines through, whole and under
// their own prefix, though one poller reads every actor's pipes.
func TestOutputOfManyActorsAtOnce(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	const actors, lines = 6, 300
	var out uactor.LockedBuffer
	refs := make([]uactor.Ref[*Counter], actors)
	for i := range refs {
		refs[i] = spawnCounter(t, ctx, uactor.Output(&out))
	}
	errs := make(chan error, actors)
	for _, r := range refs {
		go func() {
			_, err := Print.Call(ctx, r, lines)
			errs <- err
		}()
	}
	for range refs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range refs {
		out.WaitFor(t, fmt.Sprintf("counter[%d] line %d of %d", r.PID(), lines-1, lines), 10*time.Second)
	}
	want := " " + strings.Repeat("x", 64)
	perPID := map[string]int{}
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		prefix, text, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(prefix, "counter[") || !strings.HasPrefix(text, "line ") || !strings.HasSuffix(text, want) {
			t.Fatalf("a line broken or mixed with another: %q", line)
		}
		perPID[prefix]++
	}
	for _, r := range refs {
		if got := perPID[fmt.Sprintf("counter[%d]", r.PID())]; got != lines {
			t.Errorf("actor %d: %d lines relayed, want %d", r.PID(), got, lines)
		}
	}
}

// leaver starts a process that inherits its stdout and outlives it.
type leaver struct{}

func (leaver) Leave(ctx context.Context, _ uactor.Empty) (int, error) {
	cmd := exec.Command("sleep", "20")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	fmt.Println("a line for the owner's writer")
	return cmd.Process.Pid, nil
}

var (
	leaverKind = uactor.Define("output-leaver", func(context.Context, uactor.Empty) (leaver, error) { return leaver{}, nil })
	leave      = uactor.Expose(leaverKind, "leave", leaver.Leave)
)

// Close returns within its bounds though the actor's output can never be
// delivered: a process the actor started holds its pipe open past the
// output's linger, and Output's writer does not return. Before, Close
// waited for that writer for ever once the linger had passed.
func TestOutputStuckWriterDoesNotHoldClose(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 30*time.Second)
	gate := make(chan struct{})
	r, err := uactor.Spawn(ctx, leaverKind, uactor.Empty{}, uactor.Output(gated{gate, io.Discard}), uactor.GracePeriod(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	sleeper, err := leave.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killPID(sleeper); close(gate) })
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second): // grace, stop margin and linger are about 2 s
		killPID(sleeper) // the pipe closes, and the writer is let go: Close can return
		close(gate)
		gate = make(chan struct{})
		<-closed
		t.Fatal("Close waited for a stuck Output writer past the output's linger")
	}
}

// spewer starts a process that inherits its stdout, outlives it, and
// writes to it faster than the owner reads.
type spewer struct{}

func (spewer) Spew(ctx context.Context, _ uactor.Empty) (int, error) {
	cmd := exec.Command("yes", "spew")
	cmd.Stdout = os.Stdout
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	return cmd.Process.Pid, nil
}

var (
	spewerKind = uactor.Define("output-spewer", func(context.Context, uactor.Empty) (spewer, error) { return spewer{}, nil })
	spew       = uactor.Expose(spewerKind, "spew", spewer.Spew)
)

// lateWriter is a writer that takes every line at once, and closes late
// on the first Write that begins once closed is set.
type lateWriter struct {
	closed   atomic.Bool
	late     chan struct{}
	lateOnce sync.Once
}

func (w *lateWriter) Write(p []byte) (int, error) {
	if w.closed.Load() {
		w.lateOnce.Do(func() { close(w.late) })
	}
	return len(p), nil
}

// Once the owner's Close has returned, Output's writer is given no more
// lines, though a process the actor started still holds the actor's output
// open and writes to it: its owner may close the writer then. Before, what
// was read from the pipe as the output's linger ended reached the writer
// after Close had returned.
func TestOutputNoWriteAfterClose(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	w := &lateWriter{late: make(chan struct{})}
	r, err := uactor.Spawn(ctx, spewerKind, uactor.Empty{}, uactor.Output(w), uactor.GracePeriod(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	spewing, err := spew.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killPID(spewing) })
	r.Close()
	w.closed.Store(true)
	killPID(spewing)
	select {
	case <-w.late:
		t.Fatal("Output's writer was given a line after the owner's Close had returned")
	case <-time.After(time.Second): // a line queued as Close returned is written long before
	}
}

// The owner's Close returns once every line its actor wrote has been handed
// to Output's writer: more lines than a pipe holds, on stdout and stderr,
// are all there when Close returns, with no wait for them after it.
func TestOutputAllDeliveredWhenCloseReturns(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var out uactor.LockedBuffer
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Output(&out))
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	if _, err := Print.Call(ctx, r, n); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if got := strings.Count(out.String(), fmt.Sprintf(" of %d x", n)); got != n {
		t.Fatalf("%d of the actor's %d lines had reached the writer when Close returned", got, n)
	}
}

// A kind whose name is longer than the room a nested actor's line has for
// its prefixes, and one that runs it; neither keeps any state.
type longNamed struct{}

var (
	longNamedKind  = uactor.Define(strings.Repeat("p", 5000), func(context.Context, uactor.Empty) (longNamed, error) { return longNamed{}, nil })
	longNamedPrint = uactor.Expose(longNamedKind, "print", func(_ longNamed, _ context.Context, n int) (int, error) {
		os.Stdout.WriteString(strings.Repeat("z", n) + "\n")
		return n, nil
	})
	longNamedRunnerKind = uactor.Define("long-named-runner", func(context.Context, uactor.Empty) (longNamed, error) { return longNamed{}, nil })
	longNamedRun        = uactor.Expose(longNamedRunnerKind, "run", func(_ longNamed, ctx context.Context, n int) (int, error) {
		k, err := uactor.Spawn(ctx, longNamedKind, uactor.Empty{})
		if err != nil {
			return 0, err
		}
		defer k.Close()
		return longNamedPrint.Call(ctx, k, n)
	})
)

// A nested actor's long line, passed on in pieces by the actor that runs
// it, reaches the owner with the nested actor's prefix on every piece,
// however long the nested kind's name: no piece passes for the runner's
// own line.
func TestOutputNestedLongNameLongLine(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var out uactor.LockedBuffer
	r := spawn(t, ctx, longNamedRunnerKind, uactor.Empty{}, uactor.Output(&out))
	if _, err := longNamedRun.Call(ctx, r, 200_000); err != nil {
		t.Fatal(err)
	}
	r.Close()
	own := regexp.MustCompile(`^long-named-runner\[\d+\] z`)
	pieces := 0
	for _, line := range strings.Split(out.String(), "\n") {
		if own.MatchString(line) {
			t.Fatalf("a piece of the nested actor's line reached the owner as its runner's own line (%d bytes)", len(line))
		}
		if strings.Contains(line, "[") && strings.HasSuffix(line, "z") {
			pieces++
		}
	}
	if pieces < 3 {
		t.Fatalf("the 200 000-byte line reached the owner in %d pieces; want it cut into at least 3", pieces)
	}
}
