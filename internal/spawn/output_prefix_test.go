package spawn

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A kind's name is written in each line's prefix as it is, unless it holds
// what would let one actor's output pass for another's: a control character
// (a newline starts a new line with a prefix of the name's choosing, an
// escape sequence rewrites the terminal), bytes that are not UTF-8, a
// leading quote (so that a quoted name cannot be spelled by another name),
// or a '[' (so that a name cannot spell another's whole prefix).
// Such a name is quoted, as Go quotes a string. So is a very long one, cut.
func TestRelayPrefixQuotesUnsafeNames(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"kind", "kind[42] a\n"},
		{"two words", "two words[42] a\n"},
		{"pkg.Kind/v2-été", "pkg.Kind/v2-été[42] a\n"},
		{"evil\nother[7] forged", `"evil\nother[7] forged"[42] a` + "\n"},
		{"cr\rkind", `"cr\rkind"[42] a` + "\n"},
		{"tab\tkind", `"tab\tkind"[42] a` + "\n"},
		{"\x1b[31mred", `"\x1b[31mred"[42] a` + "\n"},
		{"nel\u0085kind", `"nel\u0085kind"[42] a` + "\n"},
		{"bad\xffutf8", `"bad\xffutf8"[42] a` + "\n"},
		{`"quoted"`, `"\"quoted\""[42] a` + "\n"},
		// No control character, but it spells a whole prefix of another's.
		{"other[7] forged", `"other[7] forged"[42] a` + "\n"},
		{"pool[0]", `"pool[0]"[42] a` + "\n"},
		// A name too long for the room a nested actor's line has for
		// its prefixes: cut, quoted, and marked as cut.
		{strings.Repeat("p", 5000), `"` + strings.Repeat("p", maxPrefixName) + `"…[42] a` + "\n"},
		{strings.Repeat("é", 150), `"` + strings.Repeat("é", maxPrefixName/2) + `"…[42] a` + "\n"},
		{strings.Repeat("p", maxPrefixName), strings.Repeat("p", maxPrefixName) + "[42] a\n"},
	} {
		t.Run(c.want, func(t *testing.T) {
			var out bytes.Buffer // read once flushed
			r := NewRelay(&out, c.name, nil)
			child, read, err := outputPipes()
			if err != nil {
				t.Fatal(err)
			}
			done, _ := r.read(read, 42, [2]heldOutput{})
			child[0].WriteString("a\n")
			closeAll(child[:])
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the relay's reading did not end")
			}
			flushed(t, r)
			if got := out.String(); got != c.want {
				t.Fatalf("relayed %q; want %q", got, c.want)
			}
		})
	}
}
