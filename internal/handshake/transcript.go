package handshake

import (
	"crypto/hmac"
	"crypto/sha256"
)

// The labels name the role of the side computing the MAC. Because they
// differ, a client proof can never pass as a server verdict or the reverse,
// which stops reflection.
const (
	clientLabel = "uactor/2 client"
	serverLabel = "uactor/2 server"
	// fullLabel proves a verdict "full": introduced by version 4, and apart
	// from serverLabel, so that no accepting verdict's MAC passes for it or
	// the reverse.
	fullLabel = "uactor/4 full"
)

// transcriptMAC returns HMAC-SHA256(key, label || 0x00 || ch || sh || extra).
// The raw hellos carry both nonces, both ephemeral X25519 shares, the
// version, both sides' flags and the actor uuid, so all of them are bound;
// the zero byte ends the label so that no label can be a prefix trick on
// another. extra is the server's key id in its accepting verdict, empty in
// the client's proof and in a verdict "full".
func transcriptMAC(key []byte, label string, ch *[ClientHelloSize]byte, sh *[ServerHelloSize]byte, extra []byte) (mac [sha256.Size]byte) {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	m.Write([]byte{0})
	m.Write(ch[:])
	m.Write(sh[:])
	m.Write(extra)
	m.Sum(mac[:0])
	return mac
}

// macEqual compares MACs in constant time, so that timing reveals nothing
// about how much of a forged MAC was right.
func macEqual(a, b *[sha256.Size]byte) bool {
	return hmac.Equal(a[:], b[:])
}
