package uactor

import (
	"net"
	"syscall"
)

// unixPeerPID returns the pid of the process at the other end of a Unix
// socket (SO_PEERCRED), or 0: the only name an unnamed client has.
func unixPeerPID(nc net.Conn) int {
	uc, ok := nc.(*net.UnixConn)
	if !ok {
		return 0
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0
	}
	pid := 0
	raw.Control(func(fd uintptr) {
		if cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED); err == nil {
			pid = int(cred.Pid)
		}
	})
	return pid
}
