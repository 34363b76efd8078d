package uactor_test

import (
	"context"
	"encoding/binary"
	"errors"
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

// A call whose request was queued behind another's, which was being
// written as the actor died, and none of whose own bytes had left, waits
// for the restart and reaches the new process: the actor never saw it.
// The call whose request was on its way fails with ErrActorDied, as one in
// flight does. Both go through a copy, which shares one connection.
func TestRestartQueuedCallWaits(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 60*time.Second)
	r := spawn(t, ctx, CounterKind, 5, uactor.Restart(3, time.Minute))
	var cp uactor.Ref[*Counter]
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cp.Close() })
	if _, err := Add.Call(ctx, cp, 0); err != nil {
		t.Fatal(err)
	}
	pid := r.PID()
	// It reads nothing more, so a request larger than the socket's
	// buffers hold stays in its write.
	stop(t, pid)
	const big = 8 << 20
	bigErr := make(chan error, 1)
	go func() {
		_, err := Echo.Call(ctx, cp, make([]byte, big))
		bigErr <- err
	}()
	waitBuffered(t, ctx, cp, big)
	type answer struct {
		pid int
		err error
	}
	small := make(chan answer, 1)
	go func() {
		got, err := GetPID.Call(ctx, cp, uactor.Empty{})
		small <- answer{got, err}
	}()
	waitBuffered(t, ctx, cp, big+17) // the small request's frame is queued behind it
	killPID(pid)
	if err := receive(t, bigErr, 30*time.Second, "the call being written as the actor died did not return"); !errors.Is(err, uactor.ErrActorDied) {
		t.Errorf("the call being written as the actor died = %v; want ErrActorDied", err)
	}
	a := receive(t, small, 30*time.Second, "the queued call did not return")
	if a.err != nil || a.pid == pid || a.pid != r.PID() {
		t.Errorf("the call queued behind it: pid %d, %v; want the new process, %d", a.pid, a.err, r.PID())
	}
}

// waitBuffered waits until r's connection holds at least n bytes queued
// or being written.
func waitBuffered[A any](t *testing.T, ctx context.Context, r uactor.Ref[A], n int) {
	t.Helper()
	for uactor.Buffered(r) < n {
		select {
		case <-ctx.Done():
			t.Fatalf("the connection never held %d bytes to write; it holds %d", n, uactor.Buffered(r))
		case <-time.After(time.Millisecond):
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
