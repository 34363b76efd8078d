package registry

import (
	"context"
	"strings"

	"github.com/uactor-go/uactor/uactor"
)

// listedActor is one actor of a source's listing, however many spellings
// name it there.
type listedActor struct {
	key   string   // its actorKey
	first string   // the spelling listed first: the pool lists the actor under it
	dial  []string // where Connect tries it, in turn, until one reaches it
}

// groupListed groups addrs by actor, in the order each is first listed.
// A TCP actor is dialled once, at its canonical address: its spellings
// differ only in ways that dial alike (a scheme, a host name's case, an IP
// literal's form). A socket path's spellings do not all lead where their
// cleaned form does (a ".." after a symbolic link leads out of the link's
// target, not back to where it sits; a trailing slash leads nowhere), so a
// Unix actor is dialled at each spelling as listed, in turn: only where the
// source said it is, never at a cleaned path no spelling leads to.
func groupListed(addrs Addresses) []listedActor {
	var out []listedActor
	at := make(map[string]int, len(addrs))    // index in out, by key
	seen := make(map[string]bool, len(addrs)) // spellings listed already: linear, however many name one actor
	for _, a := range addrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		k := actorKey(a)
		i, ok := at[k]
		switch {
		case !ok && !strings.HasPrefix(k, "unix://"):
			at[k] = len(out)
			out = append(out, listedActor{key: k, first: a, dial: []string{k}})
		case !ok:
			at[k] = len(out)
			out = append(out, listedActor{key: k, first: a, dial: []string{a}})
		case strings.HasPrefix(k, "unix://"):
			out[i].dial = append(out[i].dial, a)
		}
	}
	return out
}

// connectListed connects to la at each of its dial addresses in turn, and
// returns the first Connect's error if none reaches it.
func connectListed[A, Arg any](ctx context.Context, la listedActor, k *uactor.Kind[A, Arg], authkey []byte,
	opts ...uactor.Option) (uactor.Ref[A], error) {
	var first error
	for _, a := range la.dial {
		ref, err := uactor.Connect(ctx, k, a, authkey, opts...)
		if err == nil {
			return ref, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return uactor.Ref[A]{}, first
}
