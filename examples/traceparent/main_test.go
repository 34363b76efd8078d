package main

import (
	"context"
	"testing"

	"github.com/uactor-go/uactor/uactor"
)

func TestParseTraceparent(t *testing.T) {
	for _, c := range []struct {
		tp string
		ok bool
	}{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false}, // another version
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false}, // upper case
		{"00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", false}, // not hex
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false}, // zero trace id
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false}, // zero parent id
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false},
	} {
		if _, ok := parseTraceparent(c.tp); ok != c.ok {
			t.Errorf("parseTraceparent(%q) ok = %v; want %v", c.tp, ok, c.ok)
		}
	}
}

// An outgoing call gets a span of its own in the caller's trace, with the
// caller's flags: an unsampled trace stays unsampled.
func TestSendTraceKeepsFlags(t *testing.T) {
	for _, flags := range []string{"00", "01"} {
		in := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-" + flags
		var sent string
		invoke := func(ctx context.Context, _, _ any) error {
			sent, _ = uactor.MetadataFrom(ctx, "traceparent")
			return nil
		}
		if err := sendTrace(uactor.WithMetadata(context.Background(), "traceparent", in), uactor.CallInfo{}, nil, nil, invoke); err != nil {
			t.Fatal(err)
		}
		got, ok := parseTraceparent(sent)
		if !ok || got.traceID != "4bf92f3577b34da6a3ce929d0e0e4736" || got.spanID == "00f067aa0ba902b7" || got.flags != flags {
			t.Errorf("from %q, sent %q; want the same trace and flags, a new span", in, sent)
		}
	}
}
