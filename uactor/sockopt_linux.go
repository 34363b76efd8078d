package uactor

import (
	"errors"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// deferAcceptOn sets TCP_DEFER_ACCEPT on a listening socket.
func deferAcceptOn(c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_DEFER_ACCEPT, int(deferAccept/time.Second))
	})
	return errors.Join(err, serr)
}

// pending returns how many received bytes wait in nc's socket buffer, or
// -1 if that cannot be told.
func pending(nc net.Conn) int {
	rc := rawConn(nc)
	if rc == nil {
		return -1
	}
	n := -1
	rc.Control(func(fd uintptr) {
		var v int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&v))); e == 0 {
			n = int(v)
		}
	})
	return n
}
