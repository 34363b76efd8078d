package registry

import (
	"fmt"
	"time"

	"github.com/uactor-go/uactor/internal/addr"
)

// entry is one registered actor: its canonical address, how to dial it,
// and what its checks found (see judge).
type entry struct {
	addr    string    // canonical: "tcp://host:port" or "unix:///path"
	network string    // "tcp" or "unix"
	target  string    // host:port, or the socket's path
	gen     uint64    // which registration of addr this is: see ring.add
	regs    uint64    // how often addr was registered again in place since (see ring.add)
	seen    bool      // a check found it alive once
	failing time.Time // when the checks began to fail; zero: the last one did not
	strikes int       // checks in a row that failed without proving anything
}

// suspect reports whether e's checks failed, since it was last found
// alive, in a way that may cost a check its DialTimeout (no answer, say):
// Pick tries it last. One that was only refused since (an actor
// restarting) is no suspect: a refusal comes at once, so Picks check it
// in its turn, and hand it out as soon as it is back.
func (e *entry) suspect() bool { return e.strikes > 0 }

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

// actorKey is what tells two listed addresses apart: their canonical form,
// so that one actor a source lists under two spellings ("h:1" and
// "tcp://h:1") is one actor; a relative socket path is first made absolute
// against the working directory, as Connect reads it, so that "w.sock" and
// "./w.sock" are one actor too. An address Canonical refuses is its own
// key, and Connect says what is wrong with it. Where pools and ConnectFrom
// dial the actor is groupListed's to say.
func actorKey(s string) string {
	if abs, err := addr.AbsSocket(s); err == nil {
		s = abs
	}
	if a, err := addr.Canonical(s); err == nil {
		return a.String()
	}
	return s
}
