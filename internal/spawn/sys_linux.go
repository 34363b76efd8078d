package spawn

import "syscall"

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
