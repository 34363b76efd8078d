package handshake

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
)

// HKDF info strings: one key per direction, so the two sides' frame
// counters (which both start at zero) never produce the same key and nonce
// pair, and one mask for the key id the server announces.
const (
	infoC2S   = "uactor/2 seal c2s"
	infoS2C   = "uactor/2 seal s2c"
	infoKeyID = "uactor/2 key id"
)

// sealKeySize selects AES-256.
const sealKeySize = 32

// ephemeral draws a fresh X25519 key pair from rnd. Its private half lives
// only for one handshake, which is what gives sessions forward secrecy.
func ephemeral(rnd io.Reader) (*ecdh.PrivateKey, error) {
	var seed [shareSize]byte
	if _, err := io.ReadFull(rnd, seed[:]); err != nil {
		return nil, fmt.Errorf("drawing an ephemeral key: %w", err)
	}
	// NewPrivateKey rather than GenerateKey, so that tests can replay a
	// transcript from a fixed random source.
	return ecdh.X25519().NewPrivateKey(seed[:])
}

// spareKeys holds ephemeral key pairs made ahead of need, so that a
// handshake does not wait for X25519 key generation when the process had
// idle time before it. Each is still used for one handshake only.
var spareKeys = make(chan *ecdh.PrivateKey, 2)

// spareEphemeral returns a fresh ephemeral key pair, made ahead of time if
// one is ready, and has the next one made in the background.
func spareEphemeral() (*ecdh.PrivateKey, error) {
	go func() {
		if k, err := ecdh.X25519().GenerateKey(rand.Reader); err == nil {
			select {
			case spareKeys <- k:
			default:
			}
		}
	}()
	select {
	case k := <-spareKeys:
		return k, nil
	default:
		return ecdh.X25519().GenerateKey(rand.Reader)
	}
}

// serverShare is the key pair servers announce until a handshake succeeds
// with it: then it is retired, and forgotten once the handshakes that were
// given it have ended (they may still succeed with it), so forward secrecy
// is kept for every session, while a flood of connections that never
// authenticate costs no key generation each.
var serverShare struct {
	sync.Mutex
	k *ecdh.PrivateKey
}

// currentServerShare returns the key pair to announce now.
func currentServerShare() (*ecdh.PrivateKey, error) {
	serverShare.Lock()
	defer serverShare.Unlock()
	if serverShare.k == nil {
		k, err := spareEphemeral()
		if err != nil {
			return nil, err
		}
		serverShare.k = k
	}
	return serverShare.k, nil
}

// retireServerShare stops announcing k, which a handshake has used.
func retireServerShare(k *ecdh.PrivateKey) {
	serverShare.Lock()
	if serverShare.k == k {
		serverShare.k = nil
	}
	serverShare.Unlock()
}

// sessionSecret is the pseudo-random key every session key is expanded
// from: HKDF-Extract over the authkey and the X25519 shared secret, salted
// with both nonces. Without the ephemeral private keys, which are gone once
// the handshake ends, a recording of the connection cannot be opened even
// with the authkey.
func sessionSecret(key []byte, mine *ecdh.PrivateKey, theirs *[shareSize]byte, clientNonce, serverNonce *[nonceSize]byte) ([]byte, error) {
	pub, err := ecdh.X25519().NewPublicKey(theirs[:])
	if err != nil {
		return nil, fmt.Errorf("%w: X25519 share: %w", ErrProtocol, err)
	}
	dh, err := mine.ECDH(pub)
	if err != nil { // a low-order point: the peer tried to force a known secret
		return nil, fmt.Errorf("%w: X25519 share: %w", ErrProtocol, err)
	}
	ikm := append(append(make([]byte, 0, len(key)+len(dh)), key...), dh...)
	var salt [2 * nonceSize]byte
	copy(salt[:], clientNonce[:])
	copy(salt[nonceSize:], serverNonce[:])
	prk, err := hkdf.Extract(sha256.New, ikm, salt[:])
	if err != nil {
		return nil, fmt.Errorf("deriving session keys: %w", err)
	}
	return prk, nil
}

// keyIDMask is what the key id in the verdict is XORed with: only the two
// ends of this session can remove it.
func keyIDMask(prk []byte) ([KeyIDSize]byte, error) {
	var m [KeyIDSize]byte
	k, err := hkdf.Expand(sha256.New, prk, infoKeyID, KeyIDSize)
	if err != nil {
		return m, fmt.Errorf("deriving the key id mask: %w", err)
	}
	copy(m[:], k)
	return m, nil
}

// sessionAEADs derives the AES-256-GCM AEADs for both directions from prk.
func sessionAEADs(prk []byte) (c2s, s2c cipher.AEAD, err error) {
	if c2s, err = directionAEAD(prk, infoC2S); err != nil {
		return nil, nil, err
	}
	if s2c, err = directionAEAD(prk, infoS2C); err != nil {
		return nil, nil, err
	}
	return c2s, s2c, nil
}

// directionAEAD expands prk into one direction's key and wraps it in GCM.
func directionAEAD(prk []byte, info string) (cipher.AEAD, error) {
	k, err := hkdf.Expand(sha256.New, prk, info, sealKeySize)
	if err != nil {
		return nil, fmt.Errorf("handshake: deriving %q key: %w", info, err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("handshake: %q key: %w", info, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("handshake: %q key: %w", info, err)
	}
	return aead, nil
}
