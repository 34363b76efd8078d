package uactor_test

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// forgeReadyIfAsked, in an actor process started while
// UACTOR_TEST_FORGE_READY names an address, plays a compromised actor: it
// reads its bootstrap, reports that address as the one it listens on (with
// the actor id it was given), and exits when its parent asks or goes.
func forgeReadyIfAsked() {
	addr := os.Getenv("UACTOR_TEST_FORGE_READY")
	if addr == "" || os.Getenv("UACTOR_KIND") == "" {
		return
	}
	ctl := os.NewFile(3, "bootstrap")
	boot, err := readRecord(ctl)
	if err != nil {
		os.Exit(2)
	}
	// The bootstrap ends with the 16-byte actor id and the socket directory
	// as a string (a one-byte length: temp paths are short).
	var id []byte
	for n := 0; n < 128 && n+17 <= len(boot); n++ {
		if int(boot[len(boot)-1-n]) == n {
			id = boot[len(boot)-1-n-16 : len(boot)-1-n]
			break
		}
	}
	ready := wire.AppendString(nil, addr)
	ready = wire.AppendString(ready, addr)
	ready = append(ready, id...)
	rec := binary.BigEndian.AppendUint32([]byte{'R'}, uint32(len(ready)))
	ctl.Write(append(rec, ready...))
	for {
		if _, err := readRecord(ctl); err != nil {
			os.Exit(0)
		}
	}
}

func readRecord(r io.Reader) ([]byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(h[1:]))
	_, err := io.ReadFull(r, b)
	return b, err
}

// An actor process cannot make its owner delete a directory: the owner
// removes only the one it made itself, whatever address the child reports.
func TestOwnerRemovesOnlyItsOwnDirectory(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	victim, err := os.MkdirTemp("", "uactor-victim-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(victim) })
	if err := os.WriteFile(filepath.Join(victim, "precious"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("UACTOR_TEST_FORGE_READY", "unix://"+filepath.Join(victim, "actor.sock"))
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(100*time.Millisecond))
	if err == nil {
		pid := r.PID()
		r.Close()
		assertGone(t, pid, time.Second)
	} else if !errors.Is(err, uactor.ErrProtocol) {
		t.Logf("Spawn of the forging child: %v", err)
	}
	if _, err := os.Stat(filepath.Join(victim, "precious")); err != nil {
		t.Fatalf("the owner removed a directory the child named: %v", err)
	}
}

// A value hosted inside an actor process goes with it, and so does its
// socket directory: when the owner closes the actor, and when it is killed.
func TestHostedInActorLeavesNoDirectory(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	for _, end := range []string{"close", "sigkill"} {
		a, err := uactor.Spawn(ctx, CounterKind, 0)
		if err != nil {
			t.Fatal(err)
		}
		shared, err := Shared.Call(ctx, a, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		dirs := []string{filepath.Dir(a.Address()[len("unix://"):]), filepath.Dir(shared.Address()[len("unix://"):])}
		if end == "sigkill" {
			killPID(a.PID())
			<-a.Done()
		}
		a.Close()
		shared.Close()
		for _, dir := range dirs {
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s: socket directory %s outlived its actor (%v)", end, dir, err)
			}
		}
	}
}
