package uactor_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// awaitHangUp waits, without reading, until the other end of c (a Unix or
// TCP socket) has closed it: the socket reports its peer's shutdown
// (POLLRDHUP) however much it still holds for reading.
func awaitHangUp(t *testing.T, ctx context.Context, c net.Conn) {
	t.Helper()
	const pollRDHUP, pollHUP = 0x2000, 0x10
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	for {
		pfd := struct {
			fd             int32
			events, revent int16
		}{events: pollRDHUP}
		var ts syscall.Timespec // zero: look, do not wait
		if err := rc.Control(func(fd uintptr) {
			pfd.fd = int32(fd)
			syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		}); err != nil {
			t.Fatal(err)
		}
		if pfd.revent&(pollRDHUP|pollHUP) != 0 {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the actor never closed the connection")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
