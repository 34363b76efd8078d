package uactor_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// records parses the JSON records in log.
func records(t *testing.T, log string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// exitRecord returns the record at Warn or above about pid's exit: the one
// whose pid attribute is pid; nil if there is none.
func exitRecord(t *testing.T, log string, pid int) map[string]any {
	t.Helper()
	for _, r := range records(t, log) {
		if (r["level"] == "WARN" || r["level"] == "ERROR") && fmt.Sprint(r["pid"]) == fmt.Sprint(pid) {
			return r
		}
	}
	return nil
}

// An unexpected exit of a restarting actor's process is logged once, at
// Warn, saying how it ended and whether a restart follows; the owner's
// connection to that process, which the exit broke, adds no Warn of its
// own ("dropped peer" would blame the peer); the owner's Close logs no exit.
func TestRestartLogsExits(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	var log uactor.LockedBuffer
	l := slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := spawn(t, ctx, CounterKind, 5, uactor.Restart(1, time.Minute), uactor.Logger(l), uactor.Output(io.Discard))
	first := r.PID()
	killAndWait(t, ctx, r)
	second := r.PID()
	killPID(second)
	waitDone(t, r, 10*time.Second)
	for _, c := range []struct {
		pid     int
		restart bool
	}{{first, true}, {second, false}} {
		rec := exitRecord(t, log.String(), c.pid)
		if rec == nil {
			t.Fatalf("no record at Warn of process %d's exit; the log:\n%s", c.pid, log.String())
		}
		if err := fmt.Sprint(rec["err"]); !strings.Contains(err, "signal 9") || rec["restart"] != c.restart || rec["kind"] != "counter" {
			t.Errorf("record of process %d's exit: %v; want its kind, its err saying signal 9, and restart %v", c.pid, rec, c.restart)
		}
	}
	for _, rec := range records(t, log.String()) {
		if rec["level"] == "WARN" && rec["msg"] == "uactor: dropped peer" {
			t.Errorf("the owner's connection to a process that died blamed the peer: %v", rec)
		}
	}
}

// The owner's own Close is no exit to warn about.
func TestCloseLogsNoExit(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var log uactor.LockedBuffer
	l := slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := uactor.Spawn(ctx, CounterKind, 5, uactor.Restart(1, time.Minute), uactor.Logger(l), uactor.Output(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	pid := r.PID()
	r.Close()
	assertGone(t, pid, time.Second)
	for _, rec := range records(t, log.String()) {
		if rec["level"] == "WARN" || rec["level"] == "ERROR" {
			t.Errorf("the owner's Close logged: %v", rec)
		}
	}
}
