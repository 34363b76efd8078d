package spawn

import (
	"bytes"
	"testing"
)

// A writer that ends the goroutine it is called on (runtime.Goexit, as
// t.FailNow does) loses the line it was given, and only that one: the
// lines the relay had taken with it, to write next, go to the writer from
// the goroutine that writes on. Before, they were lost with it.
func TestRelayWriterGoexitKeepsTheRestOfTheBatch(t *testing.T) {
	var out bytes.Buffer // read once flushed
	r := NewRelay(goexiter{w: &out, exited: new(bool)}, "kind", nil)
	s := &lineSource{r: r, prefix: "p "}
	// The lines queue while the relay counts a writer as running, so that
	// the writer, woken after, takes all three at once.
	r.mu.Lock()
	r.writing = true
	r.mu.Unlock()
	s.feed([]byte("lost\nfirst kept\nsecond kept\n"))
	r.mu.Lock()
	if len(r.queue) != 3 {
		r.mu.Unlock()
		t.Fatalf("%d lines queued, want 3", len(r.queue))
	}
	r.writing = false
	r.wakeLocked()
	r.mu.Unlock()
	flushed(t, r)
	if got, want := out.String(), "p first kept\np second kept\n"; got != want {
		t.Fatalf("writer got %q; want %q", got, want)
	}
}
