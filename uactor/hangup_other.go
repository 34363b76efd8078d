//go:build !linux

package uactor

import "net"

// peerHungUp reports whether the other end of nc has closed it; only Linux
// can tell without reading, so elsewhere it reports false.
func peerHungUp(net.Conn) bool { return false }
