package uactor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Method is one named, typed operation of a kind. Make one with Expose.
type Method[A, Req, Resp any] struct {
	kind   *kindEntry
	name   string
	prefix []byte // a CALL payload's start, for a call with no context: see callPrefix
	req    *codec[Req]
	resp   *codec[Resp]
	late   bool // exposed after Main ran: a spawned actor's process lacks it
}

// Expose declares the method name of kind k, run by fn, usually a method
// expression such as (*Counter).Add. Declare methods in package-level vars,
// beside their kind. Expose panics if the name is empty, taken or reserved
// (names that begin with "uactor." are the library's), if fn is nil, or if
// Req or Resp cannot travel between processes (the message says what to implement).
func Expose[A, Arg, Req, Resp any](k *Kind[A, Arg], name string,
	fn func(a A, ctx context.Context, req Req) (Resp, error)) Method[A, Req, Resp] {
	where := fmt.Sprintf("uactor: Expose(%q, %q)", k.entry.name, name)
	if name == "" || strings.HasPrefix(name, "uactor.") {
		panic(where + ": method name is empty or reserved")
	}
	if fn == nil {
		panic(where + ": fn is nil")
	}
	reqc, respc := mustCodec[Req](where, "request"), mustCodec[Resp](where, "response")
	lends := reqc.lent
	e := &methodEntry{
		name:  name,
		late:  mainRan.Load(),
		lends: lends,
		invoke: func(ctx context.Context, actor any, b []byte, owned bool, out *[]byte, ic ServerInterceptor, addr string, ch *callHold) ([]byte, error) {
			req, err := reqc.decodeOwned(b, owned || lends) // a Lent borrows b, pooled or not
			if err != nil {
				return nil, requestError{err}
			}
			var resp Resp
			if ic == nil {
				resp, err = fn(actor.(A), ctx, req)
			} else {
				a := actor.(A)
				tk := ch.ticket()
				resp, err = serveIntercepted(ctx, ic, CallInfo{Kind: k.entry.name, Method: name, Address: addr}, req,
					func(ctx context.Context, req Req) (resp Resp, err error) {
						// As a call queued behind a Serial actor's is: one
						// whose context ended while the interceptor held it
						// (or that was answered already) runs no handler.
						if err := ctx.Err(); err != nil {
							return resp, err
						}
						switch {
						case ch.take(tk):
							defer ch.drop()
						case lends:
							return resp, errLentGone
						}
						// Here, not only around the interceptor: it may run
						// handle in a goroutine of its own. returned tells a
						// panic(nil) under GODEBUG=panicnil=1 from a return.
						returned := false
						defer func() {
							if r := recover(); !returned {
								err = &handlerPanic{r}
							}
						}()
						// Else started once its call was over: it runs, but
						// nothing waits for it (Serial, Close's grace).
						resp, err = fn(a, ctx, req)
						returned = true
						return resp, err
					})
			}
			if err != nil {
				return nil, err
			}
			if respc.raw != nil {
				return respc.raw(resp), nil
			}
			enc, err := respc.append((*out)[:0], resp)
			keepScratch(out, enc)
			if err != nil {
				// Not the handler's own error: by its text only, so that a
				// registered sentinel it wraps does not pass for the handler's.
				return nil, fmt.Errorf("encoding response: %v", err)
			}
			return enc, nil
		},
	}
	k.entry.mu.Lock()
	defer k.entry.mu.Unlock()
	if _, dup := k.entry.methods[name]; dup {
		panic(where + ": method exposed twice")
	}
	k.entry.methods[name] = e
	return Method[A, Req, Resp]{kind: k.entry, name: name,
		prefix: callPrefix(name), req: reqc, resp: respc, late: e.late}
}

// Name returns the method's name.
func (m Method[A, Req, Resp]) Name() string { return m.name }

// Call calls the method on the actor r refers to and waits for its response.
// Cancelling ctx abandons the call at once and cancels the handler's
// context in the actor. The handler's context has ctx's deadline and
// metadata (see WithMetadata), and ends as ctx did: with
// context.DeadlineExceeded at the deadline, with context.Canceled when ctx
// is cancelled well before it (or when the connection ends). A call whose
// deadline passes before its handler would start (queued behind a Serial
// actor's other calls, or held by a server interceptor, say) is dropped
// without running. An error returned by the handler comes back as a
// *RemoteError, or as its registered sentinel (see RegisterError). Through
// a ref to an actor of another kind (one that shares the actor type A), the
// call is not sent, and fails with ErrUnknownMethod.
func (m Method[A, Req, Resp]) Call(ctx context.Context, r Ref[A], req Req) (Resp, error) {
	h := r.h
	switch {
	case m.kind == nil:
		var resp Resp
		return resp, errorf("uactor: Call on a zero Method: make it with Expose, in a package-level var")
	case h == nil:
		var resp Resp
		return resp, errorf("uactor: %s: %w: %s", m.name, ErrClosed, zeroRef)
	case h.kind != m.kind.name:
		// Kinds may share an actor type, so Ref[A] does not tell them apart;
		// the other kind's method of this name may take other types.
		var resp Resp
		return resp, errorf("uactor: %s: %w: the method is kind %q's, and the ref's actor is of kind %q",
			m.name, ErrUnknownMethod, m.kind.name, h.kind)
	case h.callTimeout > 0 || h.intercept != nil:
		return m.callWith(ctx, h, req)
	}
	return m.call(ctx, h, req)
}

// callWith makes a call through the ref's default timeout and interceptors.
func (m Method[A, Req, Resp]) callWith(ctx context.Context, h *handle, req Req) (Resp, error) {
	if _, ok := ctx.Deadline(); !ok && h.callTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.callTimeout)
		defer cancel()
	}
	if h.intercept == nil {
		return m.call(ctx, h, req)
	}
	info := CallInfo{Kind: h.kind, Method: m.name, Address: h.addr.String()}
	return intercepted(ctx, h.intercept, info, req, func(ctx context.Context, req Req) (Resp, error) {
		return m.call(ctx, h, req)
	})
}

func (m Method[A, Req, Resp]) call(ctx context.Context, h *handle, req Req) (Resp, error) {
	var resp Resp
	var b []byte
	if m.req.raw != nil {
		b = m.req.raw(req)
	} else {
		buf := getScratch()
		defer putScratch(buf)
		var err error
		b, err = m.req.append((*buf)[:0], req)
		keepScratch(buf, b)
		if err != nil {
			return resp, errorf("uactor: %s: encoding request: %w", m.name, err)
		}
	}
	reply, err := h.roundTrip(ctx, m.name, m.prefix, b)
	if err != nil {
		if m.late && errors.Is(err, ErrUnknownMethod) {
			err = errorf("%w (Expose ran after uactor.Main, so a spawned actor's process does not have the method: "+
				"expose it in a package-level var)", err)
		}
		return resp, err
	}
	defer reply.Release()
	// A large frame arrives in an array of its own (frame.Buffer.Own), which
	// a []byte or string response takes over instead of copying it; a small
	// one is in a pooled array, and copied out.
	resp, err = m.resp.decodeOwned(reply.B, reply.Own())
	if err != nil {
		return resp, errorf("uactor: %s: decoding response: %w", m.name, err)
	}
	return resp, nil
}

// On returns the method bound to the actor r refers to, as a Handler: code
// written against Handler does not know whether it runs here or there.
func (m Method[A, Req, Resp]) On(r Ref[A]) Handler[Req, Resp] {
	return HandlerFunc[Req, Resp](func(ctx context.Context, req Req) (Resp, error) {
		return m.Call(ctx, r, req)
	})
}

// errLentGone fails a run of a handler of a Lent request that a server
// interceptor starts after it returned: the request's array may hold
// another call's request by then.
var errLentGone = errors.New("uactor: a server interceptor ran the handler after it returned, and its Lent request was gone")

// requestError marks a request (or spawn argument) that did not decode, as
// opposed to an error returned by the handler (or constructor).
type requestError struct{ error }

func (e requestError) Unwrap() error { return e.error }

// callPrefix is what a CALL payload starts with for a call that carries no
// deadline and no metadata: a zero call-context byte, the uvarint length of
// the method's name, the name.
func callPrefix(name string) []byte {
	return append(binary.AppendUvarint([]byte{0}, uint64(len(name))), name...)
}
