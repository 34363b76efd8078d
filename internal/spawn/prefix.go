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
//
// A name longer than maxPrefixName bytes is cut to that many, quoted, and
// marked as cut with an ellipsis after the quotes (which no whole name's
// form has): every relay a line passes adds a prefix, and those of a
// nested actor's line must fit in prefixRoom, or the line would be cut
// again and its tail pass for the nesting actor's own.
func prefixName(name string) string {
	if len(name) > maxPrefixName {
		cut := name[:maxPrefixName]
		for len(cut) > 0 && !utf8.RuneStart(name[len(cut)]) {
			cut = cut[:len(cut)-1] // not in the middle of a character
		}
		return strconv.Quote(cut) + "…"
	}
	if !utf8.ValidString(name) || strings.HasPrefix(name, `"`) || strings.Contains(name, "[") ||
		strings.ContainsFunc(name, func(c rune) bool { return !strconv.IsPrint(c) }) {
		return strconv.Quote(name)
	}
	return name
}

// maxPrefixName is the most of a name a prefix holds: quoted, a name this
// long may take four times as many bytes (a control character's \xNN),
// and with its pid its prefix then stays under a thousand, so a line can
// pass four relays within prefixRoom.
const maxPrefixName = 200
