package registry

import (
	"errors"

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
