package uactor

import (
	"context"
	"fmt"
)

// CallInfo describes a call to interceptors.
type CallInfo struct {
	Kind   string // the actor's kind
	Method string // the method's name
	// Address is, in a ClientInterceptor, where this process reaches the
	// actor; in a ServerInterceptor, the address the actor's refs name:
	// the one given with Advertise (its port filled in), or else where it
	// listens.
	Address string
}

// Invoker makes the call a ClientInterceptor wraps: req and resp are the
// pointers the interceptor was given (or other non-nil pointers of the same
// types); any others fail the call.
type Invoker func(ctx context.Context, req, resp any) error

// ClientInterceptor runs around each call made through a ref, like gRPC's
// UnaryClientInterceptor: req is a pointer to the request, resp a pointer to
// the response that invoke fills in. It may change ctx (add metadata with
// WithMetadata, start a span) before it calls invoke, or fail the call
// without calling it. Give interceptors with ClientInterceptors.
type ClientInterceptor func(ctx context.Context, info CallInfo, req, resp any, invoke Invoker) error

// ServerHandler runs the handler a ServerInterceptor wraps, with a request
// of the method's request type.
type ServerHandler func(ctx context.Context, req any) (resp any, err error)

// ServerInterceptor runs around each call in the actor, like gRPC's
// UnaryServerInterceptor: ctx carries the caller's deadline and metadata,
// req is the decoded request. It calls handle to run the method, or returns
// an error (which the caller receives as the handler's) without running it.
// A nil resp with a nil error answers the zero value of the method's
// response type; a resp of another type fails the call.
// A handler's panic is recovered in handle, which returns it as an error:
// the caller gets ErrPanic, as without interceptors, if the interceptor
// returns that error (or wraps it), and the actor serves on.
// Like a call queued behind a Serial actor's, handle runs no handler once
// the ctx it is given has ended (the call's deadline passed while the
// interceptor held it, say): it returns ctx's error.
// It may run handle in a goroutine and return before it does (a timeout);
// the caller is then answered at once, and the handler runs on with its
// context cancelled. A handler that handle had begun to run when the
// interceptor returned still counts as running until it returns: a Serial
// actor's next call waits for it, an owner's Close gives it the grace
// period, and a Lent request stays the handler's, counted in the
// connection's ConnBuffer (calls behind it may wait for it at the bound,
// although its caller has its answer). The library cannot know
// of a goroutine that has yet to call handle: a handle called after the
// interceptor returned (its goroutine scheduled only then, as one that
// gives up at once may be) is not sure to be waited for, and once the
// call is over (no handler of it runs), its context has ended: it runs no
// handler, and with a context that does not end with the call's
// (context.WithoutCancel) it runs one unaccounted for, or, for a Lent
// request, fails at once without running it (see Lent).
type ServerInterceptor func(ctx context.Context, info CallInfo, req any, handle ServerHandler) (resp any, err error)

// ClientInterceptors adds interceptors around the calls made through refs:
// the first given is the outermost. Given to Define, they apply to every ref
// to the kind that this process makes (Spawn, Connect, Host, and refs
// received in messages); given to Spawn, Connect or Host, to that ref. A
// nil interceptor is an error.
func ClientInterceptors(ics ...ClientInterceptor) Option {
	ics = append([]ClientInterceptor(nil), ics...)
	return func(o *options) { o.clientIC = append(o.clientIC[:len(o.clientIC):len(o.clientIC)], ics...) }
}

// ServerInterceptors adds interceptors around every call the actor runs:
// the first given is the outermost. A spawned actor runs in another process,
// which functions cannot travel to, so give them to Define (the kind's
// declaration runs in that process too) or to Host; given to Spawn they are
// an error, as is a nil interceptor.
func ServerInterceptors(ics ...ServerInterceptor) Option {
	ics = append([]ServerInterceptor(nil), ics...)
	return func(o *options) { o.serverIC = append(o.serverIC[:len(o.serverIC):len(o.serverIC)], ics...) }
}

// chainClient folds interceptors into one, the first outermost; nil for none.
func chainClient(ics []ClientInterceptor) ClientInterceptor {
	switch len(ics) {
	case 0:
		return nil
	case 1:
		return ics[0]
	}
	return func(ctx context.Context, info CallInfo, req, resp any, invoke Invoker) error {
		var next func(i int) Invoker
		next = func(i int) Invoker {
			if i == len(ics) {
				return invoke
			}
			return func(ctx context.Context, req, resp any) error { return ics[i](ctx, info, req, resp, next(i+1)) }
		}
		return next(0)(ctx, req, resp)
	}
}

// chainServer folds interceptors into one, the first outermost; nil for none.
func chainServer(ics []ServerInterceptor) ServerInterceptor {
	switch len(ics) {
	case 0:
		return nil
	case 1:
		return ics[0]
	}
	return func(ctx context.Context, info CallInfo, req any, handle ServerHandler) (any, error) {
		var next func(i int) ServerHandler
		next = func(i int) ServerHandler {
			if i == len(ics) {
				return handle
			}
			return func(ctx context.Context, req any) (any, error) { return ics[i](ctx, info, req, next(i+1)) }
		}
		return next(0)(ctx, req)
	}
}

// intercepted runs call for the typed method behind ic.
func intercepted[Req, Resp any](ctx context.Context, ic ClientInterceptor, info CallInfo, req Req,
	call func(ctx context.Context, req Req) (Resp, error)) (Resp, error) {
	var resp Resp
	err := ic(ctx, info, &req, &resp, func(ctx context.Context, rq, rs any) error {
		q, ok1 := rq.(*Req)
		p, ok2 := rs.(*Resp)
		switch {
		case !ok1 || !ok2:
			return errorf("uactor: %s: interceptor passed %T, %T to invoke; want %T, %T", info.Method, rq, rs, q, p)
		case q == nil:
			return errorf("uactor: %s: interceptor passed a nil %T request to invoke", info.Method, q)
		case p == nil:
			return errorf("uactor: %s: interceptor passed a nil %T response to invoke", info.Method, p)
		}
		var err error
		*p, err = call(ctx, *q)
		return err
	})
	return resp, err
}

// handlerPanic is what handle returns to a ServerInterceptor for a handler
// that panicked: recovered in handle, which the interceptor may run in a
// goroutine of its own, where nothing else would recover it. The caller
// gets ErrPanic, as without an interceptor, unless the interceptor answers
// otherwise.
type handlerPanic struct{ v any }

func (p *handlerPanic) Error() string { return fmt.Sprintf("panic: %v", p.v) }

// serveIntercepted runs fn for the typed method behind ic.
func serveIntercepted[Req, Resp any](ctx context.Context, ic ServerInterceptor, info CallInfo, req Req,
	fn func(ctx context.Context, req Req) (Resp, error)) (Resp, error) {
	var zero Resp
	out, err := ic(ctx, info, req, func(ctx context.Context, rq any) (any, error) {
		q, ok := rq.(Req)
		if !ok {
			return nil, fmt.Errorf("interceptor passed a request of type %T; want %T", rq, q)
		}
		return fn(ctx, q)
	})
	if err != nil || out == nil { // nil, nil: the zero value, as a Go function's return nil, nil
		return zero, err
	}
	resp, ok := out.(Resp)
	if !ok {
		return zero, fmt.Errorf("interceptor returned a response of type %T; want %T", out, zero)
	}
	return resp, nil
}
