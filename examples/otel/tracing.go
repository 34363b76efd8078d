package main

import (
	"context"
	"os"
	"slices"

	"github.com/uactor-go/uactor/uactor"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// traced are the options that trace a kind's calls on both ends. Given to
// Define, they apply in every process that declares the kind.
var traced = []uactor.Option{uactor.ClientInterceptors(clientSpan), uactor.ServerInterceptors(serverSpan)}

var propagator = propagation.TraceContext{}

// startTracing installs a tracer provider that writes each span, as it ends,
// as one JSON line to stderr, naming this process's role and pid. Its
// result flushes and stops it.
func startTracing(role string) (shutdown func()) {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(os.Stderr))
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp), // exported as each span ends: an actor's process may be stopped at any time
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", role), attribute.Int("process.pid", os.Getpid()))),
	)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagator)
	return func() { tp.Shutdown(context.Background()) }
}

var tracer = func() trace.Tracer { return otel.Tracer("github.com/uactor-go/uactor") }

// clientSpan runs each outgoing call in a client span, and sends the span's
// context to the actor as metadata.
func clientSpan(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
	ctx, span := tracer().Start(ctx, info.Kind+"/"+info.Method, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("rpc.system", "uactor"), attribute.String("server.address", info.Address)))
	defer span.End()
	c := &metadataCarrier{ctx}
	propagator.Inject(ctx, c)
	err := invoke(c.ctx, req, resp)
	record(span, err)
	return err
}

// serverSpan runs each incoming call in a server span under the caller's.
func serverSpan(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
	ctx = propagator.Extract(ctx, &metadataCarrier{ctx})
	ctx, span := tracer().Start(ctx, info.Kind+"/"+info.Method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("rpc.system", "uactor")))
	defer span.End()
	resp, err := handle(ctx, req)
	record(span, err)
	return resp, err
}

func record(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
}

// metadataCarrier lets a propagator read and write a call's metadata.
type metadataCarrier struct{ ctx context.Context }

func (c *metadataCarrier) Get(key string) string {
	v, _ := uactor.MetadataFrom(c.ctx, key)
	return v
}

func (c *metadataCarrier) Set(key, value string) { c.ctx = uactor.WithMetadata(c.ctx, key, value) }

func (c *metadataCarrier) Keys() []string {
	var keys []string
	for k := range uactor.AllMetadata(c.ctx) {
		keys = append(keys, k)
	}
	return slices.Clip(keys)
}
