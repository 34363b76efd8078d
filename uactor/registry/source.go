package registry

import (
	"context"
	"slices"

	"github.com/uactor-go/uactor/uactor"
)

// Source lists the addresses of actors: a registry actor (Registered, At)
// or a DNS SRV name (SRV). ConnectFrom and PoolFrom take any Source, so
// that a program moves from one discovery to another by changing the one
// line that makes its Source.
type Source interface {
	// Lookup returns the actors' addresses, best first, or an error if it
	// could not learn them (an empty list is an answer: no actors).
	Lookup(ctx context.Context) (Addresses, error)
}

// Registered returns a Source that lists what the registry reg lists, in
// its registration order. It follows reg: once reg's actor is gone for good
// (see uactor.Ref.Done: unreachable past its DialTimeout, or replaced at its
// address), every Lookup fails, and a pool keeps what it had. At, which
// connects for each Lookup, follows a registry through such outages and
// restarts.
func Registered(reg uactor.Ref[*Registry]) Source { return registered{reg} }

type registered struct{ reg uactor.Ref[*Registry] }

func (s registered) Lookup(ctx context.Context) (Addresses, error) {
	return List.Call(ctx, s.reg, uactor.Empty{})
}

// At returns a Source that asks the registry actor at address (with
// authkey, and opts given to Connect) for its list, connecting for each
// Lookup and disconnecting after it.
func At(address string, authkey []byte, opts ...uactor.Option) Source {
	return at{address, append([]byte(nil), authkey...), slices.Clone(opts)}
}

type at struct {
	address string
	authkey []byte
	opts    []uactor.Option
}

func (s at) Lookup(ctx context.Context) (Addresses, error) {
	reg, err := uactor.Connect(ctx, Kind, s.address, s.authkey, s.opts...)
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	return List.Call(ctx, reg, uactor.Empty{})
}
