//go:build !linux || mips || mipsle || mips64 || mips64le

package spawn

import "syscall"

// withPidfd does nothing where this package does not wait on pidfds.
func withPidfd(*syscall.SysProcAttr) {}

// waitPidfd is never reached here: without withPidfd there is no pidfd.
func waitPidfd(int) (syscall.WaitStatus, bool) { return 0, false }

// pidfdOf returns -1: no start asked for a pidfd.
func pidfdOf(*syscall.SysProcAttr) int { return -1 }

// pidfdRefused is false: no start asked for a pidfd.
func pidfdRefused(*syscall.SysProcAttr, error) bool { return false }

// watchExit is false: there is no pidfd to watch.
func (*Process) watchExit() bool { return false }

// exitedUnreaped is false: only the reaper tells here that a child exited.
func exitedUnreaped(int) bool { return false }
