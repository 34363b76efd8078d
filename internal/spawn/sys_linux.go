package spawn

import "syscall"

// sysProcAttr asks the kernel to send SIGTERM to the child when the thread
// that started it dies: the second line behind the bootstrap pipe's EOF.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// socketpairCloexec makes a connected pair of Unix stream sockets that
// no other child inherits.
func socketpairCloexec() ([2]int, error) {
	return syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
}
