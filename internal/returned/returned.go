// Package returned marks the errors that an actor's handler returned, for
// this module's packages to tell them from errors that match the same
// sentinel but that uactor gave itself: ErrBusy from the actor's bound says
// a call did not run; a handler's registered sentinel wrapping ErrBusy
// says it ran.
package returned

import "errors"

// ByHandler is matched (errors.Is) by an error that an actor's handler
// returned as a registered sentinel, whatever that sentinel wraps.
var ByHandler = errors.New("returned by an actor's handler")
