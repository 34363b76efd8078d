package spawn

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// relayed writes what to a relay's pipes (stdout, stderr) and returns what
// the relay's writer got: once the pipes end, or, with held, once the
// relay is stopped while the pipes stay open (a descendant holding them).
func relayed(t *testing.T, stdout, stderr string, held bool) string {
	t.Helper()
	var out bytes.Buffer // read once flushed
	r := NewRelay(&out, "kind", nil)
	child, read, err := outputPipes()
	if err != nil {
		t.Fatal(err)
	}
	done, stop := r.read(read, 42, [2]heldOutput{})
	var wrote sync.WaitGroup
	for i, s := range []string{stdout, stderr} {
		wrote.Go(func() {
			child[i].WriteString(s)
			if !held {
				child[i].Close()
			}
		})
	}
	if held {
		t.Cleanup(func() { closeAll(child[:]) })
		wrote.Wait() // what was written is in the pipes, read or not
		stop()
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay's reading did not end")
	}
	stop() // nothing left to stop: a second stop is harmless
	flushed(t, r)
	return out.String()
}

// flushed waits until r's writer has written every queued line and ended:
// only that goroutine writes to r's writer, so the caller may read what it
// wrote without a lock then.
func flushed(t *testing.T, r *Relay) {
	t.Helper()
	r.Flush(time.After(10 * time.Second))
	r.mu.Lock()
	writing := r.writing
	r.mu.Unlock()
	if writing {
		t.Fatal("the relay's writer still runs after Flush")
	}
}

// eachReader runs f twice: with the poller reading the pipes, and with a
// goroutine reading each, as where there is no poller.
func eachReader(t *testing.T, f func(t *testing.T)) {
	for _, goroutines := range []bool{false, true} {
		t.Run(map[bool]string{false: "poller", true: "goroutines"}[goroutines], func(t *testing.T) {
			if goroutines {
				noPoller.Store(true)
				t.Cleanup(func() { noPoller.Store(false) })
			}
			f(t)
		})
	}
}

func TestRelayLines(t *testing.T) {
	long := strings.Repeat("y", maxLine+prefixRoom+10)
	nested := "outer[41] " + strings.Repeat("n", maxLine) // a nested actor's piece, with its prefix
	cases := []struct {
		name, stdout, stderr string
		held                 bool
		wantOut, wantErr     []string // each pipe's lines, in order
	}{
		{"lines", "a\nb\n", "", false, []string{"kind[42] a", "kind[42] b"}, nil},
		{"cut short", "whole\ncut", "trace\n", false, []string{"kind[42] whole", "kind[42] cut"}, []string{"kind[42] trace"}},
		{"empty lines", "\n\n", "", false, []string{"kind[42] ", "kind[42] "}, nil},
		{"long line in pieces", long + "\n", "", false, []string{"kind[42] " + long[:maxLine], "kind[42] " + long[maxLine:]}, nil},
		{"nested piece whole", nested + "\n", "", false, []string{"kind[42] " + nested}, nil},
		{"held open, stopped", "whole\npartial", "trace\n", true, []string{"kind[42] whole", "kind[42] partial"}, []string{"kind[42] trace"}},
	}
	eachReader(t, func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := strings.Split(strings.TrimSuffix(relayed(t, c.stdout, c.stderr, c.held), "\n"), "\n")
				// The two pipes interleave freely, but each keeps its order.
				if len(got) != len(c.wantOut)+len(c.wantErr) {
					t.Fatalf("got %d lines, want %d: %q", len(got), len(c.wantOut)+len(c.wantErr), got)
				}
				for _, want := range [][]string{c.wantOut, c.wantErr} {
					if !inOrder(got, want) {
						t.Errorf("lines %.80q… do not hold %.80q… in this order", got, want)
					}
				}
			})
		}
	})
}

// inOrder reports whether want's lines all appear in got, in want's order.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// FlushOutput passes on what children wrote before it, whole lines and a
// line cut short, though the children still hold their pipes; their
// reading then ends. A process about to exit relies on it.
func TestFlushOutput(t *testing.T) {
	eachReader(t, func(t *testing.T) {
		var out bytes.Buffer // read once flushed
		r := NewRelay(&out, "kind", nil)
		child, read, err := outputPipes()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeAll(child[:]) })
		done, _ := r.read(read, 42, [2]heldOutput{})
		line := strings.Repeat("z", 1000) + "\n"
		const n = 100 // more than a pipe holds: the relay reads while they are written
		var wrote sync.WaitGroup
		for i := range child {
			wrote.Go(func() {
				child[i].WriteString(strings.Repeat(line, n))
				child[i].WriteString("cut short")
			})
		}
		wrote.Wait()
		FlushOutput(10 * time.Second)
		select {
		case <-done:
		default:
			t.Fatal("the relay still reads the pipes after FlushOutput")
		}
		flushed(t, r)
		got := out.String()
		if whole, cut := strings.Count(got, "kind[42] "+line), strings.Count(got, "kind[42] cut short\n"); whole != 2*n || cut != 2 {
			t.Fatalf("relayed %d whole lines and %d cut short; want %d and 2", whole, cut, 2*n)
		}
	})
}

// A process that exits as it starts another (an actor stopping while its
// supervisor restarts one of its own) may flush output sources that are
// still starting: FlushOutput then waits until a source has chosen who
// reads it (its poller or a goroutine) before it stops it, and so stops
// it the way it is read. Under -race, which CI runs, a stop that read the
// choice unsynchronised fails here.
func TestFlushOutputRacingAStart(t *testing.T) {
	eachReader(t, func(t *testing.T) {
		for range 200 {
			r := NewRelay(io.Discard, "kind", nil)
			child, read, err := outputPipes()
			if err != nil {
				t.Fatal(err)
			}
			started := make(chan (<-chan struct{}), 1)
			go func() {
				done, _ := r.read(read, 42, [2]heldOutput{})
				started <- done
			}()
			FlushOutput(10 * time.Second)
			done := <-started
			closeAll(child[:]) // the pipes end: a source FlushOutput did not see ends now
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the relay still reads pipes whose writers are all closed")
			}
			flushed(t, r)
		}
	})
}

// A holder keeps what a standby writes up to maxQueued, whole lines, and
// counts the lines that end past that, the one it cut short included,
// each once.
func TestHolderKeeps(t *testing.T) {
	line := strings.Repeat("h", 99) + "\n"
	for _, c := range []struct {
		name        string
		writes      []string
		kept        int // bytes
		dropped     int
		endsInWhole bool
	}{
		{"little", []string{"a\nb", "c\n"}, 5, 0, true},
		{"a line cut short stays open", []string{"a\npart"}, 6, 0, false},
		{"past the bound", []string{strings.Repeat(line, maxQueued/100), strings.Repeat(line, 10) + "tail"}, maxQueued / 100 * 100, 10, true},
		// "cut" and the line after it are one line: it counts once.
		{"past the bound mid-line", []string{strings.Repeat(line, maxQueued/100) + "cut", line}, maxQueued / 100 * 100, 1, true},
		{"the line cut short ends in a later write", []string{strings.Repeat(line, maxQueued/100) + "cut", "more", "end\n" + line + "tail"}, maxQueued / 100 * 100, 2, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &holder{}
			for _, w := range c.writes {
				h.keep([]byte(w))
			}
			if len(h.kept) != c.kept || h.dropped != c.dropped {
				t.Fatalf("kept %d bytes, dropped %d lines; want %d and %d", len(h.kept), h.dropped, c.kept, c.dropped)
			}
			if whole := len(h.kept) == 0 || h.kept[len(h.kept)-1] == '\n'; whole != c.endsInWhole {
				t.Fatalf("kept ends in a whole line: %v; want %v", whole, c.endsInWhole)
			}
		})
	}
}

// goexiter is a writer that ends its caller's goroutine on its first
// Write (as t.FailNow does, called from a writer), then writes to w.
type goexiter struct {
	w      *bytes.Buffer
	exited *bool
}

func (g goexiter) Write(p []byte) (int, error) {
	if !*g.exited {
		*g.exited = true
		runtime.Goexit()
	}
	return g.w.Write(p)
}

// A writer that panics, or ends the goroutine it is called on, loses the
// line it was given, and the relay writes the next lines all the same.
// Before, after runtime.Goexit the relay counted its writer as running
// for ever, so that no line was written again and every Flush waited for
// its timeout.
func TestRelayWriterThatPanicsOrExits(t *testing.T) {
	for _, c := range []struct {
		name   string
		writer func(*bytes.Buffer) io.Writer
		panics int
	}{
		{"panics", func(out *bytes.Buffer) io.Writer { return &panicOnce{w: out} }, 1},
		{"goexit", func(out *bytes.Buffer) io.Writer { return goexiter{w: out, exited: new(bool)} }, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer // read once flushed
			panics := 0
			r := NewRelay(c.writer(&out), "kind", func(v any) { panics++ })
			s := &lineSource{r: r, prefix: "p "}
			s.feed([]byte("lost\n"))
			flushed(t, r)
			s.feed([]byte("kept\n"))
			flushed(t, r)
			if got := out.String(); got != "p kept\n" || panics != c.panics {
				t.Fatalf("writer got %q, %d panics reported; want %q, %d", got, panics, "p kept\n", c.panics)
			}
		})
	}
}

// panicOnce is a writer that panics on its first Write, then writes to w.
type panicOnce struct {
	w        *bytes.Buffer
	panicked bool
}

func (p *panicOnce) Write(b []byte) (int, error) {
	if !p.panicked {
		p.panicked = true
		panic("a writer's bug")
	}
	return p.w.Write(b)
}
