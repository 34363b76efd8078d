// Command otel traces calls across actor processes with OpenTelemetry: one
// trace, with parent/child spans from the caller through two nested actors.
//
//	cd examples/otel && go run .
//
// The caller starts a "checkout" span and calls the front actor, whose
// handler calls the back actor (which the front spawned) with its own
// context. Interceptors declared with both kinds (tracing.go) start a client
// span around each call and inject its context into the call's metadata as
// a W3C traceparent; on the actor's side they extract it and start a server
// span under it. Every process exports its spans, one JSON object a line,
// to its standard error with the stdout exporter, so the spans of the one
// trace come from three processes:
//
//	checkout (caller)
//	└── otel.front/order  client (caller)
//	    └── otel.front/order  server (front)
//	        └── otel.back/stock  client (front)
//	            └── otel.back/stock  server (back)
//
// This example is a module of its own, so that the core module never
// depends on OpenTelemetry.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/uactor-go/uactor/uactor"
	"go.opentelemetry.io/otel"
)

// Front takes orders and asks the back actor for stock.
type Front struct{ back uactor.Ref[Back] }

// Order checks one item with the back actor, within the caller's trace.
func (f *Front) Order(ctx context.Context, item string) (string, error) {
	stock, err := checkStock.Call(ctx, f.back, item) // the handler's ctx: the trace goes on
	if err != nil {
		return "", err
	}
	return item + ": " + stock, nil
}

// Back knows the stock.
type Back struct{}

// Stock reports whether item is in stock.
func (Back) Stock(ctx context.Context, item string) (string, error) { return "in stock", nil }

var (
	frontKind = uactor.Define("otel.front", func(ctx context.Context, _ uactor.Empty) (*Front, error) {
		startTracing("front")
		back, err := uactor.Spawn(ctx, backKind, uactor.Empty{})
		if err != nil {
			return nil, err
		}
		return &Front{back: back}, nil
	}, traced...)
	order = uactor.Expose(frontKind, "order", (*Front).Order)

	backKind = uactor.Define("otel.back", func(context.Context, uactor.Empty) (Back, error) {
		startTracing("back")
		return Back{}, nil
	}, traced...)
	checkStock = uactor.Expose(backKind, "stock", Back.Stock)
)

func main() {
	uactor.Main()
	shutdown := startTracing("caller")
	defer shutdown()
	ctx := context.Background()
	front, err := uactor.Spawn(ctx, frontKind, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	defer front.Close()

	ctx, span := otel.Tracer("checkout").Start(ctx, "checkout")
	res, err := order.Call(ctx, front, "teapot")
	span.End()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res)
}
