package uactor

import (
	"net"

	"github.com/uactor-go/uactor/internal/sockbuf"
)

// unixSendBuffer is the send buffer asked for on a Unix stream socket
// (see sockbuf.UnixSend).
const unixSendBuffer = sockbuf.UnixSend

// sizeBuffers gives a Unix stream connection a send buffer that fits a
// large message whole (sockbuf.Size).
func sizeBuffers(nc net.Conn) { sockbuf.Size(nc) }
