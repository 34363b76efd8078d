package handshake

import (
	"bytes"
	"crypto/sha256"
	"fmt"
)

// Sizes of the handshake messages. Every message is fixed-size, so a peer
// can never make a side allocate or wait for more than these.
const (
	// ClientHelloSize is the size of the hello the client sends on connect.
	ClientHelloSize = headerSize + nonceSize + shareSize + frameMaxSize
	// ServerHelloSize is the size of the hello the server sends on accept.
	ServerHelloSize = headerSize + nonceSize + idSize + shareSize + windowSize + frameMaxSize
	// ClientProofSize is the size of the client's MAC over the transcript.
	ClientProofSize = sha256.Size
	// ServerVerdictSize is the size of the server's status byte, MAC and
	// encrypted key id.
	ServerVerdictSize = 1 + sha256.Size + KeyIDSize
)

// KeyIDSize is the size of a key id: a random name for an authkey, which
// the server tells only a client that proved the key.
const KeyIDSize = 8

const (
	version      = 4
	headerSize   = 8  // magic, version, flags, CR LF
	nonceSize    = 32 // big enough that a nonce never repeats
	idSize       = 16 // an actor uuid
	shareSize    = 32 // an X25519 public key
	windowSize   = 4  // the server's request window, a big-endian uint32
	frameMaxSize = 4  // the largest frame the sender reads, a big-endian uint32
)

// magic opens both hellos. Checking it first turns "connected to the wrong
// kind of server" into a clear error rather than a failed MAC.
var magic = [4]byte{'u', 'A', 'c', 't'}

// Verdict statuses.
const (
	statusAccepted = 0
	statusRejected = 1
	statusFull     = 2 // the proof verified, and the server has no room (ServerConfig.Admit)
)

// hello is the content of either hello; id and window are only sent by
// the server.
type hello struct {
	flags    Features
	nonce    [nonceSize]byte
	id       [idSize]byte
	share    [shareSize]byte    // the sender's ephemeral X25519 public key
	window   [windowSize]byte   // see ServerConfig.Window
	frameMax [frameMaxSize]byte // see ClientConfig.MaxFrame
}

// putHeader writes the fields both hellos start with. They end in CR LF so
// that a line-oriented server dialled by mistake (HTTP, SMTP, Redis…) sees a
// complete line and answers at once, instead of waiting for the rest of it
// until the deadline: its answer then fails the magic check.
func putHeader(b []byte, f Features) {
	copy(b, magic[:])
	b[4] = version
	b[5] = byte(f)
	b[6], b[7] = '\r', '\n'
}

// fields returns h's fields in the order a hello carries them after the
// header: only the server's names its actor and its window. Encoding and
// parsing both walk this one list, so the two cannot disagree about the
// layout.
func (h *hello) fields(server bool) [][]byte {
	if server {
		return [][]byte{h.nonce[:], h.id[:], h.share[:], h.window[:], h.frameMax[:]}
	}
	return [][]byte{h.nonce[:], h.share[:], h.frameMax[:]}
}

// encode writes h as a hello into b, which has the hello's size.
func (h *hello) encode(b []byte, server bool) {
	putHeader(b, h.flags)
	off := headerSize
	for _, field := range h.fields(server) {
		off += copy(b[off:], field)
	}
}

// parseHeader checks the fields both hellos start with, in the order that
// gives the most useful error: wrong protocol, then wrong version, then a
// malformed message.
func parseHeader(b []byte) (Features, error) {
	if !bytes.Equal(b[:4], magic[:]) {
		return 0, fmt.Errorf("%w (its first bytes are %q)", ErrNotUactor, b[:4])
	}
	if b[4] != version {
		return 0, fmt.Errorf("%w %d (this side speaks %d)", ErrVersion, b[4], version)
	}
	f := Features(b[5])
	if f&^knownFeatures != 0 {
		return 0, fmt.Errorf("%w: unknown feature flags %#02x", ErrProtocol, byte(f&^knownFeatures))
	}
	if b[6] != '\r' || b[7] != '\n' {
		return 0, fmt.Errorf("%w: header does not end in CR LF (%#02x %#02x)", ErrProtocol, b[6], b[7])
	}
	return f, nil
}

// parseHello decodes b, which has the hello's size.
func parseHello(b []byte, server bool) (hello, error) {
	var h hello
	f, err := parseHeader(b)
	if err != nil {
		return h, err
	}
	h.flags = f
	off := headerSize
	for _, field := range h.fields(server) {
		off += copy(field, b[off:])
	}
	return h, nil
}

// badMagic reports whether the first bytes received already rule out a
// uactor peer, so a short read from, say, an HTTP server that answered and
// hung up is reported as such rather than as a bare EOF.
func badMagic(got []byte) bool {
	n := min(len(got), len(magic))
	return !bytes.Equal(got[:n], magic[:n])
}
