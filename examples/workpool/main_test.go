package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func TestMain(m *testing.M) {
	uactor.Main()
	os.Exit(m.Run())
}

// The program, built and run as a user runs it: its four workers are
// processes of their own, and the merged counts are exact.
func TestWorkpool(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "workpool")
	if out, err := exec.CommandContext(ctx, "go", "build", "-race", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("workpool: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var owner int
	var pids [4]int
	if _, err := fmt.Sscanf(lines[0], "1000 jobs done by 4 worker processes [%d %d %d %d] (this is %d)",
		&pids[0], &pids[1], &pids[2], &pids[3], &owner); err != nil {
		t.Fatalf("first line %q: %v", lines[0], err)
	}
	if slices.Contains(pids[:], owner) || len(slices.Compact(slices.Sorted(slices.Values(pids[:])))) != 4 {
		t.Fatalf("workers %v, owner %d: want four processes of their own", pids, owner)
	}
	for _, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			t.Errorf("worker %d outlived the program", pid)
		}
	}
	// Each job has three of the 13 words, picked by i, 7i and 3i mod 13;
	// "the", "and" and "a" are not counted.
	want := []string{"brown 231", "cat 231", "dog 231", "fox 231", "jumps 231", "lazy 231", "naps 230",
		"over 231", "quick 231", "tags even=500 odd=500 mod3=0:334"}
	if got := lines[1:]; !slices.Equal(got, want) {
		t.Fatalf("counts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A job over the limit that messages.go sets for msgp fails to decode in
// the worker, and the worker goes on serving.
func TestJobOverLimitIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	w, err := uactor.Spawn(ctx, WorkerKind, Config{Name: "limits", MinLength: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	tests := []struct {
		tags    int
		refused bool
	}{
		{1000, false},
		{1001, true},
		{1, false}, // the worker still serves
	}
	for _, tt := range tests {
		r, err := Do.Call(ctx, w, Job{Text: "x", Tags: make([]string, tt.tags)})
		switch {
		case tt.refused && !errors.Is(err, uactor.ErrDecode):
			t.Errorf("%d tags: error %v; want one matching uactor.ErrDecode", tt.tags, err)
		case tt.refused && !strings.Contains(err.Error(), "limit"):
			t.Errorf("%d tags: error %q does not name msgp's limit", tt.tags, err)
		case !tt.refused && err != nil:
			t.Errorf("%d tags: %v", tt.tags, err)
		case !tt.refused && r.Tagged[""] != tt.tags:
			t.Errorf("%d tags: the worker counted %d", tt.tags, r.Tagged[""])
		}
	}
}
