package uactor_test

// Local attacks through the filesystem: another user of the machine.

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Spawn re-executes the running binary: not whatever file its path names
// by now. A binary removed while it runs (or replaced: a deployment, or in
// a shared directory such as /tmp another user's file) must not be what
// the actor runs, with its keys on the bootstrap descriptor.
func TestSpawnRunsTheRunningBinary(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The binary is removed (a link keeps it, to be put back after).
	aside := exe + ".aside"
	if err := os.Link(exe, aside); err != nil {
		t.Skip(err)
	}
	defer os.Rename(aside, exe)
	if err := os.Remove(exe); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	script := "#!/bin/sh\necho \"$0 $*\" > " + marker + "\nexit 1\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(exe) // before the rename back
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err == nil {
		defer r.Close()
	}
	if b, rerr := os.ReadFile(marker); rerr == nil {
		t.Fatalf("Spawn ran the file now at the binary's path, not the running binary: it wrote %q (Spawn: %v)", b, err)
	}
	if err != nil {
		t.Fatalf("Spawn with the binary's path removed: %v", err)
	}
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
}
