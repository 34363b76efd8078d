package registry

import (
	"errors"
	"fmt"

	"github.com/uactor-go/uactor/uactor"
)

// ErrBadAddress is matched (errors.Is) by the error of a Register call with
// an address that is not an actor's: it keeps its identity across processes.
var ErrBadAddress = uactor.RegisterError(KindName+".ErrBadAddress",
	errors.New("registry: not an actor address"))

// ErrFull is matched by the error of a Register call that would take the
// registry past Config.MaxEntries, which registers none of its addresses,
// and by that of a Register or Deregister call naming more than four
// times MaxEntries addresses.
var ErrFull = uactor.RegisterError(KindName+".ErrFull",
	errors.New("registry: full"))

// ErrNoActors is matched by the error of a pool call when the pool has no
// actor, or when none of its actors could be reached (the last failure is
// wrapped too), and by the errors of PoolFrom, PoolFromRegistry,
// ConnectedPool.Refresh and ConnectFrom when they reached none.
var ErrNoActors = errors.New("registry: no actor reachable")

// maxJoined is how many Connects' errors an ErrNoActors error wraps: a
// source may list thousands of addresses, and an error of every one of
// them would be a page long.
const maxJoined = 3

// noneReached is the error of a lookup whose addresses could not be
// connected to, errs the Connects' errors: ErrNoActors, the first few of
// them, and how many more there were.
func noneReached(errs []error) error {
	if len(errs) <= maxJoined {
		return fmt.Errorf("%w: %w", ErrNoActors, errors.Join(errs...))
	}
	return fmt.Errorf("%w: %w\n(and %d more: %d Connects failed)",
		ErrNoActors, errors.Join(errs[:maxJoined]...), len(errs)-maxJoined, len(errs))
}
