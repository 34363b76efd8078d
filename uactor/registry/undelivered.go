package registry

import (
	"errors"
	"net"

	"github.com/uactor-go/uactor/internal/returned"
	"github.com/uactor-go/uactor/uactor"
)

// undelivered reports whether a call's error proves that the call never ran
// in an actor, so that a pool may hand it to another one:
//
//   - the dial failed (refused, timed out, no such socket or host);
//   - the owner's ref names an actor whose process had already ended for
//     good (a *uactor.ExitError): the call was not sent;
//   - the actor answered that it is stopping (uactor.ErrClosed, in a
//     *uactor.RemoteError): it did not run the call. (A ref closed here
//     fails its calls with ErrClosed too, but those in flight as well:
//     Handle moves a call on from a ref only if it was closed, or its
//     actor gone, before the call began.)
//   - another actor now serves at the ref's address (uactor.ErrWrongActor);
//   - the actor refused it over its in-flight bound (uactor.ErrBusy).
//
// A sentinel the handler returned is no proof, even one that wraps
// ErrBusy or ErrWrongActor: the handler ran.
//
// Every other error goes back to the caller as it is: whatever the handler
// returned (a *uactor.RemoteError, or a registered sentinel), a panic, an
// unknown method, a request or response that does not encode or decode,
// the caller's own context ending, an authkey or protocol failure (a
// misconfiguration, not a dead actor), and uactor.ErrActorDied, as the call
// was in flight when the connection broke and may have run.
func undelivered(err error) bool {
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "dial" {
		return true
	}
	if _, ok := errors.AsType[*uactor.ExitError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*uactor.RemoteError](err); ok && errors.Is(err, uactor.ErrClosed) {
		return true
	}
	if errors.Is(err, returned.ByHandler) {
		// A registered sentinel the handler returned, which may wrap
		// ErrBusy or ErrWrongActor: the call ran.
		return false
	}
	return errors.Is(err, uactor.ErrWrongActor) || errors.Is(err, uactor.ErrBusy)
}
