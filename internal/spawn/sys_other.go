//go:build !linux

package spawn

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal; the bootstrap
// pipe's EOF is the only line.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
