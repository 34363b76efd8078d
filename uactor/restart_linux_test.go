package uactor_test

import (
	"encoding/binary"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/uactor-go/uactor/uactor"
)

// A call made after the actor's process died, before its owner has reaped
// it, waits for the restart: it was never sent, so it is not one in flight
// at the crash.
func TestRestartCallAfterDeathWaits(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 60*time.Second)
	r := spawn(t, ctx, CounterKind, 5, uactor.Restart(100, 0))
	for round := range 10 {
		if _, err := Add.Call(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
		pid := r.PID()
		killPID(pid)
		for !exitedWhole(t, pid) {
			time.Sleep(100 * time.Microsecond)
		}
		if _, err := Add.Call(ctx, r, 1); err != nil {
			t.Fatalf("round %d: a call made after process %d died: %v; want it to wait for the restart", round, pid, err)
		}
		if r.PID() == pid {
			t.Fatalf("round %d: the call was answered by process %d, which had died", round, pid)
		}
	}
}

// A copy of the ref that another process decodes while the actor restarts,
// and that has never dialled it, waits for the restart too: it names its
// actor, which is not gone.
func TestRestartFreshCopyWaits(t *testing.T) {
	parallel(t) // its time goes in waiting
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		t.Run(listen, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			relay := spawn(t, ctx, SlowKind, 0)
			r := spawn(t, ctx, SlowKind, time.Second, uactor.Listen(listen), uactor.Restart(3, 0))
			pid := r.PID()
			killPID(pid)
			for !exitedWhole(t, pid) {
				time.Sleep(100 * time.Microsecond)
			}
			got, err := SlowPIDOf.Call(ctx, relay, r)
			if err != nil || got == pid || got != r.PID() {
				t.Fatalf("the first call through a fresh copy, made as the actor restarts, reached pid %d, %v; want the new process, %d", got, err, r.PID())
			}
		})
	}
}

// exitedWhole reports whether this process's child pid has exited, every
// thread of it, so that its descriptors are closed: it is waitable, or
// reaped already. A zombie group leader alone is not enough: its other
// threads may still hold the socket.
func exitedWhole(t *testing.T, pid int) bool {
	var info [128]byte // siginfo_t
	const pPID, wNowait = 1, 0x01000000
	_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info[0])),
		syscall.WEXITED|syscall.WNOHANG|wNowait, 0, 0)
	switch e {
	case syscall.ECHILD:
		return true // reaped already
	case 0:
		return binary.NativeEndian.Uint32(info[16:]) == uint32(pid) // si_pid: waitable
	}
	t.Fatalf("waitid(%d): %v", pid, e)
	return false
}
