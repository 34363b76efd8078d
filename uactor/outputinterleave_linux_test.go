package uactor_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// longLine is how long the lines are that longPrinter writes: far more
// than a pipe writes at once (PIPE_BUF), so that a write of one may stop
// half-way while the pipe is full.
const longLine = 20000

// longPrinter writes long lines to its stderr, and can have actors of its
// own do so at once into a stderr that it reads slowly.
type longPrinter struct{}

var (
	longPrinterKind = uactor.Define("long-printer", func(context.Context, uactor.Empty) (longPrinter, error) {
		return longPrinter{}, nil
	})
	// printLong writes n lines of longLine copies of c to stderr.
	printLong = uactor.Expose(longPrinterKind, "printlong", func(_ longPrinter, _ context.Context, c string) (int, error) {
		line := strings.Repeat(c, longLine) + "\n"
		for range 60 {
			os.Stderr.WriteString(line)
		}
		return 60, nil
	})
	// mixedLines makes this process's stderr a pipe that it reads slowly,
	// has two actors of its own print long lines to it at once (their
	// output goes to this process's stderr by default), and answers with
	// the lines read that are neither one actor's line whole nor a count
	// of lines dropped.
	mixedLines = uactor.Expose(longPrinterKind, "mixedlines", func(_ longPrinter, ctx context.Context, _ uactor.Empty) ([]string, error) {
		saved, err := syscall.Dup(2)
		if err != nil {
			return nil, err
		}
		defer syscall.Close(saved)
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			return nil, err
		}
		if err := syscall.Dup3(p[1], 2, 0); err != nil {
			return nil, err
		}
		syscall.Close(p[1])
		r := os.NewFile(uintptr(p[0]), "slow stderr")
		defer r.Close()
		defer syscall.Dup3(saved, 2, 0) // on an early return
		var kids []uactor.Ref[longPrinter]
		defer func() {
			for _, k := range kids {
				k.Close()
			}
		}()
		for range 2 {
			k, err := uactor.Spawn(ctx, longPrinterKind, uactor.Empty{})
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		whole := regexp.MustCompile(`^long-printer\[\d+\] (?:(a+|b+)|\[(\d+) lines dropped\])$`)
		var bad []string
		got := make(chan struct{})
		go func() { // reads slowly, so that the pipe stays full, until every writer has gone
			defer close(got)
			br := bufio.NewReaderSize(readSlowly{r}, 2*longLine)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if !strings.Contains(line, "long-printer[") && strings.Trim(line, "ab\n") != "" {
					continue // this process's own (a log record, say): not the relays'
				}
				if m := whole.FindStringSubmatch(strings.TrimSuffix(line, "\n")); m == nil || m[1] != "" && len(m[1]) != longLine {
					bad = append(bad, fmt.Sprintf("%.60q... (%d bytes)", line, len(line)))
				}
			}
		}()
		done := make(chan error, 2)
		for i, k := range kids {
			go func() {
				_, err := printLong.Call(ctx, k, string(rune('a'+i)))
				done <- err
			}()
		}
		for range kids {
			if err := <-done; err != nil {
				return nil, err
			}
		}
		for _, k := range kids {
			k.Close() // their relays have written what they could
		}
		kids = nil
		syscall.Dup3(saved, 2, 0) // the pipe's last writer goes: the reader ends
		select {
		case <-got:
		case <-time.After(20 * time.Second):
			return nil, fmt.Errorf("the slow stderr did not end")
		}
		return bad, nil
	})
)

// readSlowly reads at most a KiB at a time, pausing before each read.
type readSlowly struct{ f *os.File }

func (s readSlowly) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return s.f.Read(p[:min(len(p), 1024)])
}

// Lines of several actors that reach one stderr (the default Output) come
// whole, one after another, though each is longer than a pipe takes at
// once and the stderr is a pipe read slowly (an owner that is itself an
// actor, say): a write that the full pipe stops half-way must not let
// another relay's write in before it has ended.
func TestOutputLinesOfActorsSharingStderrStayWhole(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := spawn(t, ctx, longPrinterKind, uactor.Empty{}, uactor.Output(&uactor.LockedBuffer{}))
	bad, err := mixedLines.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Fatalf("%d lines mixed, or cut, on the way to a shared stderr; the first: %s", len(bad), bad[0])
	}
}
