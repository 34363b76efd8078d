package registry

import (
	"fmt"

	"github.com/uactor-go/uactor/internal/addr"
)

// entry is one registered actor: its canonical address and how to dial it.
type entry struct {
	addr    string // canonical: "tcp://host:port" or "unix:///path"
	network string // "tcp" or "unix"
	target  string // host:port, or the socket's path
	strikes int    // failed checks in a row (see judge)
}

// parseEntry checks that s is an actor address and puts it in canonical
// form, so that one actor registered twice under two spellings is one
// entry: "host:port" becomes "tcp://host:port", IP literals and ports are
// written the standard way, host names in lower case, and paths cleaned.
func parseEntry(s string) (entry, error) {
	a, err := addr.Canonical(s)
	if err != nil {
		if len(s) > 64 {
			s = s[:64] + "…"
		}
		return entry{}, fmt.Errorf("%w: %q: %w", ErrBadAddress, s, err)
	}
	return entry{addr: a.String(), network: a.Network, target: a.Target}, nil
}
