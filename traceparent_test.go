package uactor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The traceparent example: one trace id, logged with slog by three
// processes (caller, front actor, back actor spawned by the front), each
// hop with a span id of its own.
func TestTraceparentExample(t *testing.T) {
	bin := example(t, "traceparent")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != "teapot: in stock" {
		t.Fatalf("printed %q", got)
	}
	type record struct {
		Msg, Process, TraceID, SpanID, Method string
		PID                                   int
	}
	byProcess := map[string][]record{}
	for line := range strings.Lines(stderr.String()) {
		i := strings.IndexByte(line, '{') // an actor's lines may come prefixed
		if i < 0 {
			continue
		}
		var r struct {
			Msg, Process, Method string
			TraceID              string `json:"trace_id"`
			SpanID               string `json:"span_id"`
			PID                  int
		}
		if err := json.Unmarshal([]byte(line[i:]), &r); err != nil {
			t.Fatalf("not a JSON record: %q: %v", line, err)
		}
		byProcess[r.Process] = append(byProcess[r.Process], record{r.Msg, r.Process, r.TraceID, r.SpanID, r.Method, r.PID})
	}
	pids, spans := map[int]bool{}, map[string]bool{}
	trace := ""
	for _, p := range []string{"caller", "front", "back"} {
		rs := byProcess[p]
		if len(rs) == 0 {
			t.Fatalf("no record from the %s process:\n%s", p, stderr.String())
		}
		for _, r := range rs {
			if trace == "" {
				trace = r.TraceID
			}
			if len(r.TraceID) != 32 || r.TraceID != trace || len(r.SpanID) != 16 {
				t.Fatalf("%s logged trace %q span %q; want trace %q throughout:\n%s", p, r.TraceID, r.SpanID, trace, stderr.String())
			}
			pids[r.PID] = true
			spans[r.SpanID] = true
		}
	}
	if len(pids) != 3 || len(spans) != 3 {
		t.Fatalf("records came from pids %v with spans %v; want three of each:\n%s", pids, spans, stderr.String())
	}
	if rs := byProcess["back"]; rs[len(rs)-1].Method != "traceparent.back.stock" {
		t.Fatalf("the back actor's server interceptor did not log its call: %+v", rs)
	}
}
