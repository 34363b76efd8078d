package rawecho

import (
	"net"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/uactor-go/uactor/internal/conntest"
)

// sendBuffer is what the kernel reports as c's send buffer, or -1.
func sendBuffer(c net.Conn) int {
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) {
		if v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF); err == nil {
			n = v
		}
	})
	return n
}

// The floor's two ends over a Unix socket have the send buffer uactor's
// connections have: a floor held back by the kernel's default would
// flatter the library at large messages.
func TestFloorSendBufferIsUactors(t *testing.T) {
	want := conntest.UnixSendGranted(t)
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "echo.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	served := make(chan int, 1)
	go serve(ln, func(c net.Conn) {
		defer c.Close()
		served <- sendBuffer(c)
	})
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	Caller(c, 64, false)
	if got := sendBuffer(c); got < want {
		t.Errorf("the floor's caller end: send buffer %d bytes, want at least %d", got, want)
	}
	if got := <-served; got < want {
		t.Errorf("the floor's echo end: send buffer %d bytes, want at least %d", got, want)
	}
}
