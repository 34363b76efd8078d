package spawn

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzLineSplit feeds a pipe's bytes to a lineSource in chunks of varying
// size: every byte other than a newline reaches the relay once and in
// order, each line ends in exactly one newline, and none is longer than
// maxLine+prefixRoom. With skip (the rest of a line that a standby's
// holder dropped comes first), what precedes the first newline does not
// reach the relay.
func FuzzLineSplit(f *testing.F) {
	f.Add(byte(3), false, []byte("a\nbc\n\nlast"))
	f.Add(byte(0), false, []byte("no newline"))
	f.Add(byte(200), false, bytes.Repeat([]byte("x"), maxLine+prefixRoom+5))
	f.Add(byte(2), true, []byte("rest\nwhole\n"))
	f.Add(byte(1), true, []byte("no end"))
	f.Fuzz(func(t *testing.T, chunk byte, skip bool, in []byte) {
		var out bytes.Buffer
		r := NewRelay(&out, "kind", nil)
		s := &lineSource{r: r, prefix: "p ", skip: skip}
		step := int(chunk)%64 + 1
		if chunk >= 128 {
			step *= 1024 // exercise lines longer than maxLine in few feeds
		}
		for b := in; len(b) > 0; {
			n := min(step, len(b))
			s.feed(b[:n])
			b = b[n:]
		}
		s.flush()
		flushed(t, r)
		var got []byte
		for _, line := range strings.SplitAfter(out.String(), "\n") {
			if line == "" {
				continue
			}
			body, ok := strings.CutPrefix(line, "p ")
			switch {
			case !ok:
				t.Fatalf("line %q lacks its prefix", line)
			case !strings.HasSuffix(body, "\n"):
				t.Fatalf("line %q does not end in a newline", line)
			case len(body) > maxLine+prefixRoom:
				t.Fatalf("line of %d bytes, more than maxLine", len(body))
			}
			got = append(got, strings.TrimSuffix(body, "\n")...)
		}
		want := in
		if i := bytes.IndexByte(in, '\n'); skip && i < 0 {
			want = nil
		} else if skip {
			want = in[i+1:]
		}
		if want := bytes.ReplaceAll(want, []byte("\n"), nil); !bytes.Equal(got, want) {
			t.Fatalf("relayed %d bytes that are not newlines, want %d", len(got), len(want))
		}
	})
}
