package hmac

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// HKDF info strings, one per direction: each direction gets its own key, so
// the two sides' frame counters (which both start at zero) never produce the
// same key and nonce pair.
const (
	infoC2S = "uactor/1 seal c2s"
	infoS2C = "uactor/1 seal s2c"
)

// sealKeySize selects AES-256.
const sealKeySize = 32

// sessionAEADs derives the AES-256-GCM AEADs for both directions. Salting
// with both fresh nonces gives every connection new keys even though the
// authkey is long-lived.
func sessionAEADs(key []byte, clientNonce, serverNonce *[nonceSize]byte) (c2s, s2c cipher.AEAD, err error) {
	var salt [2 * nonceSize]byte
	copy(salt[:], clientNonce[:])
	copy(salt[nonceSize:], serverNonce[:])
	prk, err := hkdf.Extract(sha256.New, key, salt[:])
	if err != nil {
		return nil, nil, fmt.Errorf("hmac: deriving session keys: %w", err)
	}
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
		return nil, fmt.Errorf("hmac: deriving %q key: %w", info, err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, fmt.Errorf("hmac: %q key: %w", info, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("hmac: %q key: %w", info, err)
	}
	return aead, nil
}
