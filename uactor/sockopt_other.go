//go:build !linux

package uactor

import (
	"net"
	"syscall"
)

// deferAcceptOn does nothing where TCP_DEFER_ACCEPT does not exist: silent
// connections are then left to the handshake budget alone.
func deferAcceptOn(syscall.RawConn) error { return nil }

// pending cannot tell here.
func pending(net.Conn) int { return -1 }
