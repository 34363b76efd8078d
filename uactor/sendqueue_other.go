//go:build !linux

package uactor

import "syscall"

// unsentBytes would say how many bytes written to rc's socket the peer has
// not taken yet; only Linux is asked.
func unsentBytes(syscall.RawConn) (int, bool) { return 0, false }
