package uactor

import "context"

// Handler is one typed operation: a local function and a remote actor's
// method look the same to the code that calls them (see Method.On).
type Handler[Req, Resp any] interface {
	Handle(ctx context.Context, req Req) (Resp, error)
}

// HandlerFunc adapts an ordinary function to a Handler.
type HandlerFunc[Req, Resp any] func(ctx context.Context, req Req) (Resp, error)

// Handle calls f(ctx, req).
func (f HandlerFunc[Req, Resp]) Handle(ctx context.Context, req Req) (Resp, error) {
	return f(ctx, req)
}
