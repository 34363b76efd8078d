//go:build !linux

package uactor

import "net"

// listenUnix listens on a Unix stream socket at path.
func listenUnix(path string) (net.Listener, error) { return net.Listen("unix", path) }
