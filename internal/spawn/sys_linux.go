package spawn

import (
	"os"
	"strconv"
	"syscall"
)

// sysProcAttr asks the kernel to send SIGTERM to the child when the thread
// that started it dies: the second line behind the bootstrap pipe's EOF.
// It also asks for the child's pidfd, where this package waits on one.
func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	withPidfd(a)
	return a
}

// socketpairCloexec makes a connected pair of Unix stream sockets that
// no other child inherits.
func socketpairCloexec() ([2]int, error) {
	return syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
}

// selfExe is what a child is executed as: the running binary's own file,
// not the path it was started from, which may name another file by now.
const selfExe = "/proc/self/exe"

// closeInherited closes the descriptors above stderr that this process
// inherited from its parent by accident: those the parent held without
// close-on-exec (it inherited them from a shell or a job runner, say),
// which an exec passes on unasked. An actor holding the write end of a
// pipe that someone reads to its end would keep that reader waiting for
// the actor's life, and pass the pipe on to its own actors. What Go opens
// is close-on-exec, so by the time OpenChild runs (it has taken and closed
// descriptors 3 and 4), a descriptor without close-on-exec came through
// the exec, unless the binary's own init code (a C constructor, or a raw
// syscall.Open) opened it without close-on-exec and kept it: that would
// be closed too.
func closeInherited() {
	ents, err := os.ReadDir("/proc/self/fd") // its own descriptor is close-on-exec
	if err != nil {
		return
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		if errno == 0 && flags&syscall.FD_CLOEXEC == 0 {
			syscall.Close(fd)
		}
	}
}
