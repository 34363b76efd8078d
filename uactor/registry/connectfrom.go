package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/uactor-go/uactor/uactor"
)

// ConnectFrom connects to one actor of kind k that src lists: the first,
// in src's order, that Connect (with authkey and opts) reaches. It fails
// with ErrNoActors, wrapping every Connect's error, when it reaches none.
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
	for _, a := range addrs {
		ref, err := uactor.Connect(ctx, k, a, authkey, opts...)
		if err == nil {
			return ref, nil
		}
		if ctx.Err() != nil {
			return uactor.Ref[A]{}, ctx.Err()
		}
		errs = append(errs, err)
	}
	return uactor.Ref[A]{}, fmt.Errorf("%w: %w", ErrNoActors, errors.Join(errs...))
}
