package uactor

import (
	"net"
	"os"
	"syscall"
)

// unixBacklog is the backlog asked for; the kernel caps it at
// net.core.somaxconn, as it does the net package's.
const unixBacklog = 1<<16 - 1

// listenUnix listens on a Unix stream socket at path. It makes the socket
// itself because the net package's first Listen in a process reads the
// system's backlog limit from /proc through a fresh 64 KiB buffer, which a
// newly spawned actor would pay between its start and its first call.
func listenUnix(path string) (net.Listener, error) {
	opErr := func(call string, err error) error {
		return &net.OpError{Op: "listen", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"}, Err: os.NewSyscallError(call, err)}
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, opErr("socket", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return nil, opErr("bind", err)
	}
	if err := syscall.Listen(fd, unixBacklog); err != nil {
		syscall.Close(fd)
		os.Remove(path)
		return nil, opErr("listen", err)
	}
	f := os.NewFile(uintptr(fd), path)
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return ln, nil
}
