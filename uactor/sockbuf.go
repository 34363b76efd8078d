package uactor

import (
	"net"

	"github.com/uactor-go/uactor/internal/sockbuf"
)

// sizeBuffers gives a Unix stream connection a send buffer that fits a
// large message whole (sockbuf.Size).
func sizeBuffers(nc net.Conn) { sockbuf.Size(nc) }
