package handshake

import (
	"crypto/cipher"
	"net"
	"time"
)

// Session is the outcome of a successful handshake, for one side of the
// connection.
type Session struct {
	// Features is what both sides agreed on.
	Features Features
	// ActorID is the uuid the server announced (for the server, its own).
	ActorID [16]byte
	// KeyID is the server's id for the authkey, which it tells only a
	// client that proved the key (for the server, its own).
	KeyID [KeyIDSize]byte
	// Window is the request window the server announced (for the server,
	// its own): see ServerConfig.Window.
	Window uint32
	// PeerMaxFrame is the largest frame the peer announced it reads (see
	// ClientConfig.MaxFrame), or 0 if it announced none.
	PeerMaxFrame uint32
	// ReadAEAD opens the frames this side reads and WriteAEAD seals the
	// frames it writes. Both are nil unless Features has FeatureSeal.
	ReadAEAD, WriteAEAD cipher.AEAD
}

// establish builds this side's Session from the session secret prk and
// clears the handshake deadline, which must not outlive the handshake: the
// connection may idle afterwards.
func establish(conn net.Conn, prk []byte, isClient bool, f Features, id [idSize]byte, keyID [KeyIDSize]byte) (*Session, error) {
	s := &Session{Features: f, ActorID: id, KeyID: keyID}
	if f&FeatureSeal != 0 {
		c2s, s2c, err := sessionAEADs(prk)
		if err != nil {
			return nil, err
		}
		if isClient {
			s.WriteAEAD, s.ReadAEAD = c2s, s2c
		} else {
			s.WriteAEAD, s.ReadAEAD = s2c, c2s
		}
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return nil, handshakeError(conn, err)
	}
	return s, nil
}
