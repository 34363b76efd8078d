//go:build !linux

package spawn

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal; the bootstrap
// pipe's EOF is the only line.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }

// socketpairCloexec makes a connected pair of Unix stream sockets that no
// other child inherits: without SOCK_CLOEXEC, under the fork lock.
func socketpairCloexec() ([2]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	return fds, err
}

// selfExe is empty: the child is executed by the running binary's path.
const selfExe = ""

// closeInherited does nothing here: without /proc/self/fd there is no
// cheap list of this process's descriptors, and descriptors the parent
// held without close-on-exec stay open in the child.
func closeInherited() {}
