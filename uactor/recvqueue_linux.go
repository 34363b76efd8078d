package uactor

import (
	"syscall"
	"unsafe"
)

// unreadBytes returns how many bytes rc's socket has received from the peer
// and holds unread (SIOCINQ, which is TIOCINQ's number): for TCP and for a
// Unix stream socket alike, payload bytes only.
func unreadBytes(rc syscall.RawConn) (n int, ok bool) {
	if rc == nil {
		return 0, false
	}
	var q int32
	var errno syscall.Errno
	if rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&q)))
	}) != nil || errno != 0 {
		return 0, false
	}
	return int(q), true
}
