package spawn

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// prefixName returns how name is written in the prefix of each line a
// relay passes on: as it is, unless it could make one actor's lines pass
// for another's. A control character (a newline would start a line whose
// prefix the name chose; an escape sequence rewrites a terminal), bytes
// that are not UTF-8, a leading quote (else a name could spell another
// name's quoted form), or a '[' (else "a[7] b" would read as actor a,
// pid 7, writing "b[pid] ...": a name that is not quoted then ends at the
// line's first '[') make it quoted as Go quotes a string.
func prefixName(name string) string {
	if !utf8.ValidString(name) || strings.HasPrefix(name, `"`) || strings.Contains(name, "[") ||
		strings.ContainsFunc(name, func(c rune) bool { return !strconv.IsPrint(c) }) {
		return strconv.Quote(name)
	}
	return name
}
