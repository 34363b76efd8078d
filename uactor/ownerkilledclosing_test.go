package uactor_test

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// closeMidCall, in a process started by TestOwnerKilledClosingLeavesNoDir,
// spawns an actor, has a call wait in it, begins Close, and says so, then
// waits to be killed.
func closeMidCall() bool {
	if os.Getenv("UACTOR_TEST_CLOSE_MIDCALL") == "" {
		return false
	}
	ctx := context.Background()
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(time.Minute))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	go Block.Call(ctx, r, time.Minute)
	for n := int64(0); n == 0; time.Sleep(time.Millisecond) {
		if n, err = Calls.Call(ctx, r, uactor.Empty{}); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	pid := r.PID()
	go r.Close()
	time.Sleep(50 * time.Millisecond) // for the stop record to go out
	fmt.Println(r.Address(), pid)
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(0)
	return true
}

// An actor whose owner is killed while it closes the actor gracefully, a
// call in flight, removes its socket directory as it exits: the call ends
// with the owner's connection, and so may the stop, before the actor has
// seen its owner's end on the bootstrap channel; however it goes, nobody
// else is left to remove the directory.
func TestOwnerKilledClosingLeavesNoDir(t *testing.T) {
	cmd, said := startReporting(t, "UACTOR_TEST_CLOSE_MIDCALL", "the owner did not report its actor")
	dir, pid := reportedActor(t, said, "the owner")
	t.Cleanup(func() { os.RemoveAll(dir) })
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL) // the owner alone: its actor sees it go
	cmd.Wait()
	assertGone(t, pid, 10*time.Second)
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("the socket directory %s outlived actor %d, whose owner was killed as it closed the actor", dir, pid)
	}
}
