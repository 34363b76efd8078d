package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// span is what the test reads of the stdout exporter's JSON.
type span struct {
	Name        string
	SpanContext struct{ TraceID, SpanID string }
	Parent      struct{ TraceID, SpanID string }
	SpanKind    int
	Resource    []struct {
		Key   string
		Value struct{ Value any }
	}
}

func (s span) attr(key string) string {
	for _, kv := range s.Resource {
		if kv.Key == key {
			b, _ := json.Marshal(kv.Value.Value)
			return strings.Trim(string(b), `"`)
		}
	}
	return ""
}

// The program, run as a user runs it, exports one trace whose spans form
// the chain caller -> front -> back, from three processes.
func TestOneTraceThroughNestedActors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "otel-example")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if got := strings.TrimSpace(stdout.String()); got != "teapot: in stock" {
		t.Fatalf("printed %q", got)
	}
	byName := map[string]span{}
	for line := range strings.Lines(stderr.String()) {
		i := strings.IndexByte(line, '{') // an actor's lines may come prefixed
		if i < 0 {
			continue
		}
		var s span
		if err := json.Unmarshal([]byte(line[i:]), &s); err != nil {
			t.Fatalf("not a span: %q: %v", line, err)
		}
		kind := map[int]string{1: "", 2: " server", 3: " client"}[s.SpanKind]
		byName[s.Name+kind] = s
	}
	const noSpan = "0000000000000000"
	chain := []struct{ name, service string }{
		{"checkout", "caller"},
		{"otel.front/order client", "caller"},
		{"otel.front/order server", "front"},
		{"otel.back/stock client", "front"},
		{"otel.back/stock server", "back"},
	}
	if len(byName) != len(chain) {
		t.Fatalf("got spans %v; want %d:\n%s", keys(byName), len(chain), stderr.String())
	}
	parent, trace := noSpan, byName["checkout"].SpanContext.TraceID
	pids := map[string]bool{}
	for _, c := range chain {
		s, ok := byName[c.name]
		switch {
		case !ok:
			t.Fatalf("no span %q among %v", c.name, keys(byName))
		case s.SpanContext.TraceID != trace || len(trace) != 32:
			t.Fatalf("%s is in trace %s; want %s", c.name, s.SpanContext.TraceID, trace)
		case s.Parent.SpanID != parent:
			t.Fatalf("%s has parent %s; want %s", c.name, s.Parent.SpanID, parent)
		case s.attr("service.name") != c.service:
			t.Fatalf("%s came from %s; want %s", c.name, s.attr("service.name"), c.service)
		}
		parent = s.SpanContext.SpanID
		pids[s.attr("process.pid")] = true
	}
	if len(pids) != 3 {
		t.Fatalf("spans came from processes %v; want three", pids)
	}
}

func keys(m map[string]span) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
