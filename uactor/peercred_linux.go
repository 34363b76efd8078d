package uactor

import (
	"net"
	"syscall"
)

// unixPeerPID returns the pid of the process at the other end of a Unix
// socket (SO_PEERCRED), or 0: the only name an unnamed client has.
func unixPeerPID(nc net.Conn) int {
	if _, ok := nc.(*net.UnixConn); !ok {
		return 0
	}
	raw := rawConn(nc)
	if raw == nil {
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
