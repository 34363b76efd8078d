//go:build !linux

package uactor

import "net"

// unixPeerPID returns 0: only Linux names a Unix socket's peer here.
func unixPeerPID(net.Conn) int { return 0 }
