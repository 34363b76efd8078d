//go:build !unix

package uactor

import (
	"io"
	"net"
	"time"
)

// spinning returns nc: spinning reads are built on Unix system calls.
func spinning(nc net.Conn, budget time.Duration, when func() bool) io.Reader { return nc }
