package spawn

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// relayed writes what to a relay's pipes (stdout, stderr), closes them, and
// returns what the relay's writer got.
func relayed(t *testing.T, stdout, stderr string) string {
	t.Helper()
	// Only the relay's writer goroutine writes to out, and it has ended once
	// the relay says, under its lock, that none runs: a plain buffer is safe
	// to read then.
	var out bytes.Buffer
	r := NewRelay(&out, "kind")
	child, read, start, err := r.pipes()
	if err != nil {
		t.Fatal(err)
	}
	done := start(42)
	for i, s := range []string{stdout, stderr} {
		go func() {
			child[i].WriteString(s)
			child[i].Close()
		}()
	}
	<-done
	closeAll(read[:])
	r.Flush(time.After(5 * time.Second))
	r.mu.Lock()
	writing := r.writing
	r.mu.Unlock()
	if writing {
		t.Fatal("the relay's writer still runs after Flush")
	}
	return out.String()
}

func TestRelayLines(t *testing.T) {
	long := strings.Repeat("y", maxLine+10)
	cases := []struct {
		name, stdout, stderr string
		want                 []string
	}{
		{"lines", "a\nb\n", "", []string{"kind[42] a", "kind[42] b"}},
		{"cut short", "whole\ncut", "trace\n", []string{"kind[42] whole", "kind[42] cut", "kind[42] trace"}},
		{"empty lines", "\n\n", "", []string{"kind[42] ", "kind[42] "}},
		{"long line in pieces", long + "\n", "", []string{"kind[42] " + long[:maxLine], "kind[42] " + long[maxLine:]}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Split(strings.TrimSuffix(relayed(t, c.stdout, c.stderr), "\n"), "\n")
			// The two pipes interleave freely: compare as sets, in order per pipe.
			if len(got) != len(c.want) {
				t.Fatalf("got %d lines, want %d: %q", len(got), len(c.want), got)
			}
			for _, w := range c.want {
				found := false
				for _, g := range got {
					found = found || g == w
				}
				if !found {
					t.Errorf("missing line %.40q… in %d lines", w, len(got))
				}
			}
		})
	}
}
