//go:build !linux

package uactor_test

import (
	"context"
	"net"
	"testing"
	"time"
)

// awaitHangUp gives the other end of c time to close it. Only Linux (where
// CI runs) can tell without reading; elsewhere a second is assumed enough.
func awaitHangUp(t *testing.T, ctx context.Context, c net.Conn) {
	time.Sleep(time.Second)
}
