package spawn

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// nilPanicker panics with nil on its first Write, then blocks its second
// until release is closed, and counts Writes that overlap.
type nilPanicker struct {
	mu       sync.Mutex
	out      bytes.Buffer
	calls    int
	inside   atomic.Int32
	overlaps atomic.Int32
	blocked  chan struct{} // closed once the second Write waits
	entered  chan struct{} // signalled by a Write that overlaps another
	release  chan struct{}
}

func (w *nilPanicker) Write(p []byte) (int, error) {
	if w.inside.Add(1) > 1 {
		w.overlaps.Add(1)
		select {
		case w.entered <- struct{}{}:
		default:
		}
	}
	defer w.inside.Add(-1)
	w.mu.Lock()
	w.calls++
	n := w.calls
	w.mu.Unlock()
	switch n {
	case 1:
		panic(nil)
	case 2:
		close(w.blocked)
		<-w.release
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.Write(p)
}

// Under GODEBUG=panicnil=1 (a module's opt-in to the old behaviour),
// recover returns nil for panic(nil), as for runtime.Goexit, yet the
// panic is over and the goroutine goes on. The relay took that for a
// Goexit and started a second writer goroutine beside the first: the
// writer, which a relay calls from one goroutine at a time, was called
// from two at once.
func TestRelayWriterPanicsNilUnderPanicnil(t *testing.T) {
	if !strings.Contains(os.Getenv("GODEBUG"), "panicnil=1") {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRelayWriterPanicsNilUnderPanicnil$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GODEBUG=panicnil=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("with GODEBUG=panicnil=1: %v\n%s", err, out)
		}
		return
	}
	w := &nilPanicker{blocked: make(chan struct{}), entered: make(chan struct{}, 1), release: make(chan struct{})}
	r := NewRelay(w, "kind", nil)
	s := &lineSource{r: r, prefix: "p "}
	s.feed([]byte("lost\nfirst\n"))
	select {
	case <-w.blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay did not write on after the writer's panic(nil)")
	}
	s.feed([]byte("second\n")) // queued: the writer is busy with "first"
	select {
	case <-w.entered: // a second writer goroutine took it
	case <-time.After(2 * time.Second): // none did, as it should be
	}
	close(w.release)
	flushed(t, r)
	if n := w.overlaps.Load(); n > 0 {
		t.Fatalf("the writer was called from two goroutines at once (%d overlapping Writes)", n)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if got, want := w.out.String(), "p first\np second\n"; got != want {
		t.Fatalf("writer got %q; want %q", got, want)
	}
}
