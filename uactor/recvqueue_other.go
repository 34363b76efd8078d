//go:build !linux

package uactor

import "syscall"

// unreadBytes would say how many bytes rc's socket holds unread; only
// Linux is asked.
func unreadBytes(syscall.RawConn) (int, bool) { return 0, false }
