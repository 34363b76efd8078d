package uactor

import "github.com/uactor-go/uactor/internal/frame"

// Lent is a []byte request whose bytes the library lends to the handler
// instead of giving them: they are valid only until the handler returns,
// and the library then reads later requests into them. A handler that
// needs them afterwards copies them (bytes.Clone); one may return them as
// its response, which is sent before they are reused. So a Lent request's
// bytes cost no allocation once the actor has arrays to reuse, and an actor
// whose handlers take Lent requests and a caller that gives its responses
// back with Recycle pass kilobytes or megabytes a call without collecting.
// As a response or a spawn argument, a Lent belongs to its receiver
// exactly as a []byte does; on the wire it is one. A server interceptor
// sees the lent request too, and must not keep it either. One that answers
// without waiting for the handler it started (on a timeout of its own)
// leaves the bytes the handler's until the handler returns; a handler
// whose handle is called only after it returned (from a goroutine not yet
// run by then, say) fails without running, as the bytes may be another
// call's by then.
type Lent []byte

// Recycle gives the library b's array, so that a later payload of about
// its size (from 256 bytes to 32 MiB) goes into it instead of a new array:
// for a []byte that arrived (a caller's response, a handler's []byte
// request) and that nothing will use again. It must be called at most once
// for an array, and never for a Lent request, which the library takes back
// itself: either hands the array to two later payloads at once. Using b or
// any slice of its array after Recycle reads or corrupts later payloads.
func Recycle(b []byte) { frame.Recycle(b) }
