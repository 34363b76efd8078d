package registry

import (
	"context"
	"fmt"

	"github.com/uactor-go/uactor/uactor"
)

// ConnectFrom connects to one actor of kind k that src lists: the first,
// in src's order, that Connect (with authkey and opts) reaches; an actor
// listed twice, however spelled ("h:1", "tcp://h:1"), is one actor, and
// counts as one failure: a TCP actor is dialled once, at its canonical
// address (see Registry.Register); a Unix one at each of its spellings in
// turn, as listed, since a socket path cleaned may lead elsewhere than as
// written (a ".." after a symbolic link). It fails with ErrNoActors when
// it reaches none, wrapping the first few Connects' errors and saying how
// many failed.
//
//	ref, err := registry.ConnectFrom(ctx, registry.SRV{Name: "_network._tcp.example.com"}, Network, secret)
func ConnectFrom[A, Arg any](ctx context.Context, src Source, k *uactor.Kind[A, Arg], authkey []byte,
	opts ...uactor.Option) (uactor.Ref[A], error) {
	addrs, err := src.Lookup(ctx)
	if err != nil {
		return uactor.Ref[A]{}, err
	}
	if len(addrs) == 0 {
		return uactor.Ref[A]{}, fmt.Errorf("%w: the source lists no actor", ErrNoActors)
	}
	var errs []error
	for _, la := range groupListed(addrs) {
		ref, err := connectListed(ctx, la, k, authkey, opts...)
		if err == nil {
			return ref, nil
		}
		if ctx.Err() != nil {
			return uactor.Ref[A]{}, ctx.Err()
		}
		errs = append(errs, err)
	}
	return uactor.Ref[A]{}, noneReached(errs)
}
