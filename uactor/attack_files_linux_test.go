package uactor_test

// Local attacks through the filesystem: another user of the machine.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// A restarting actor keeps its address, a directory with a predictable
// name in a shared base (/dev/shm, /tmp) that any user can list. If that
// directory is gone when the actor restarts (a cleaner removed it) and
// another user has made one of the same name meanwhile, the restart must
// not listen in it: that user could swap the socket for its own, or read
// and remove whatever the actor and its hosted values put there.
func TestRestartRefusesAnotherUsersDirectory(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a directory owned by another user")
	}
	const attacker = 65534 // nobody
	ctx := testCtx(t, 30*time.Second)
	r := spawnRestarting(t, ctx)
	sock := strings.TrimPrefix(r.Address(), "unix://")
	dir := filepath.Dir(sock)
	// Something else removes the directory; the other user makes one of
	// the same name, open to all.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o777)
	if err := os.Chown(dir, attacker, attacker); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pid := r.PID()
	killPID(pid)
	for r.PID() == pid {
		select {
		case <-r.Done(): // the restart was refused
			t.Logf("the actor ended: %v", r.Err())
			return
		case <-ctx.Done():
			t.Fatal("the actor neither restarted nor ended")
		case <-time.After(5 * time.Millisecond):
		}
	}
	Add.Call(ctx, r, 0)
	fi, err := os.Lstat(sock)
	if err != nil || fi.Mode().Type() != os.ModeSocket {
		return // the actor does not listen there
	}
	di, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := di.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Geteuid() || di.Mode().Perm()&0o077 != 0 {
		t.Fatalf("the restarted actor (pid %d) listens at %s, in a directory owned by uid %d with mode %v: another user controls its socket",
			r.PID(), sock, st.Uid, di.Mode())
	}
}

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
