package uactor

import (
	"syscall"
	"unsafe"
)

// unsentBytes returns how many bytes written to rc's socket the peer has not
// taken yet (SIOCOUTQ): for TCP, those not yet acknowledged; for a Unix
// socket, those not yet read, counted with the kernel's overhead.
func unsentBytes(rc syscall.RawConn) (n int, ok bool) {
	var q int32
	var errno syscall.Errno
	if rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&q)))
	}) != nil || errno != 0 {
		return 0, false
	}
	return int(q), true
}
