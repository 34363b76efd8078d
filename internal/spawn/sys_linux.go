package spawn

import "syscall"

// sysProcAttr asks the kernel to send SIGTERM to the child when the thread
// that started it dies: the second line behind the bootstrap pipe's EOF.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
