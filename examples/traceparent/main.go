// Command traceparent carries a W3C trace context (the traceparent header of
// https://www.w3.org/TR/trace-context/) across three processes, with no
// tracing library: the caller starts a trace, and interceptors send it as
// call metadata, so that every process logs its records with the same trace
// id through log/slog.
//
//	go run ./examples/traceparent
//
// The caller spawns a front actor, whose constructor spawns a back actor (a
// nested spawn); a call to the front reaches the back through the front's
// handler, which passes its own context on. Each process prints JSON log
// records to its standard error, each with trace_id, span_id and pid.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"

	"github.com/uactor-go/uactor/uactor"
)

// Front takes orders, and asks the back actor for stock.
type Front struct{ back uactor.Ref[Back] }

// Order checks one item with the back actor.
func (f *Front) Order(ctx context.Context, item string) (string, error) {
	slog.InfoContext(ctx, "front: order received", "item", item)
	stock, err := checkStock.Call(ctx, f.back, item) // the same ctx: the trace goes on
	if err != nil {
		return "", err
	}
	return item + ": " + stock, nil
}

// Back knows the stock.
type Back struct{}

// Stock reports whether item is in stock.
func (Back) Stock(ctx context.Context, item string) (string, error) {
	slog.InfoContext(ctx, "back: stock checked", "item", item)
	return "in stock", nil
}

// Both kinds trace their calls: outgoing calls get a traceparent (a new
// span under the caller's), incoming calls are logged with theirs. The
// options are the kinds' own, so they apply in every process that declares
// the kinds: here, in the actors' processes too.
var traced = []uactor.Option{uactor.ClientInterceptors(sendTrace), uactor.ServerInterceptors(logCall)}

var (
	frontKind = uactor.Define("traceparent.front", func(ctx context.Context, _ uactor.Empty) (*Front, error) {
		logTo("front")
		back, err := uactor.Spawn(ctx, backKind, uactor.Empty{})
		if err != nil {
			return nil, err
		}
		return &Front{back: back}, nil
	}, traced...)
	order = uactor.Expose(frontKind, "order", (*Front).Order)

	backKind = uactor.Define("traceparent.back", func(context.Context, uactor.Empty) (Back, error) {
		logTo("back")
		return Back{}, nil
	}, traced...)
	checkStock = uactor.Expose(backKind, "stock", Back.Stock)
)

func main() {
	uactor.Main()
	logTo("caller")
	ctx := context.Background()
	front, err := uactor.Spawn(ctx, frontKind, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	defer front.Close()

	// Start a trace: a fresh trace id, and this process's span as its root.
	ctx = uactor.WithMetadata(ctx, "traceparent", "00-"+randomHex(16)+"-"+randomHex(8)+"-01")
	slog.InfoContext(ctx, "caller: ordering")
	res, err := order.Call(ctx, front, "teapot")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res)
}

// sendTrace gives each outgoing call its own span id under the trace that
// ctx carries (W3C: a new parent-id per request, the caller's flags kept,
// so that an unsampled trace stays unsampled), or leaves a call outside
// any trace as it is.
func sendTrace(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
	if tp, ok := uactor.MetadataFrom(ctx, "traceparent"); ok {
		if t, ok := parseTraceparent(tp); ok {
			ctx = uactor.WithMetadata(ctx, "traceparent", "00-"+t.traceID+"-"+randomHex(8)+"-"+t.flags)
		}
	}
	return invoke(ctx, req, resp)
}

// logCall logs each call the actor runs, with its outcome.
func logCall(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
	resp, err := handle(ctx, req)
	slog.InfoContext(ctx, "handled", "method", info.Kind+"."+info.Method, "err", err)
	return resp, err
}

// traceparent is a traceparent header's fields, in lower-case hex.
type traceparent struct{ traceID, spanID, flags string }

// parseTraceparent splits "00-<32 hex trace id>-<16 hex parent id>-<2 hex
// flags>"; as W3C says, an id of all zeros is invalid.
func parseTraceparent(tp string) (traceparent, bool) {
	f := strings.Split(tp, "-")
	if len(f) != 4 || f[0] != "00" || !lowerHex(f[1], 32) || !lowerHex(f[2], 16) || !lowerHex(f[3], 2) ||
		strings.Trim(f[1], "0") == "" || strings.Trim(f[2], "0") == "" {
		return traceparent{}, false
	}
	return traceparent{f[1], f[2], f[3]}, true
}

// lowerHex reports whether s is n lower-case hex digits.
func lowerHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// logTo makes slog's default logger write JSON to stderr, adding the trace
// context of each record's ctx and this process's role and pid.
func logTo(role string) {
	h := slog.NewJSONHandler(os.Stderr, nil).WithAttrs([]slog.Attr{slog.String("process", role), slog.Int("pid", os.Getpid())})
	slog.SetDefault(slog.New(traceHandler{h}))
}

// traceHandler adds trace_id and span_id from the traceparent in a record's context.
type traceHandler struct{ slog.Handler }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if tp, ok := uactor.MetadataFrom(ctx, "traceparent"); ok {
		if t, ok := parseTraceparent(tp); ok {
			r.AddAttrs(slog.String("trace_id", t.traceID), slog.String("span_id", t.spanID))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(as)}
}
func (h traceHandler) WithGroup(g string) slog.Handler { return traceHandler{h.Handler.WithGroup(g)} }
