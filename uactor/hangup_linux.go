package uactor

import (
	"net"
	"syscall"
	"unsafe"
)

const pollRDHUP, pollHUP = 0x2000, 0x10 // POLLRDHUP, POLLHUP

// peerHungUp reports whether the other end of nc (a Unix or TCP socket)
// has closed it or shut down its writing, however much nc still holds
// unread. It does not wait, and it reports false for any other net.Conn.
func peerHungUp(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var p pollFd
	if rc.Control(func(fd uintptr) {
		p = pollFd{fd: int32(fd), events: pollRDHUP}
		var now syscall.Timespec // zero: look, do not wait
		syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&now)), 0, 0, 0)
	}) != nil {
		return true // closed already
	}
	return p.revents&(pollRDHUP|pollHUP) != 0
}
