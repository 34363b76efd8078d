// Package capture holds what a process knows about actors it did not start:
// the keys it may use (Keyring) and the addresses it must reach some actors
// at instead of the ones their refs name (Table).
package capture

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// Fingerprint identifies a key without revealing it: the first 8 bytes of
// HMAC-SHA256(key, "uactor/1 key id"). A ref carries its actor's key
// fingerprint, so that a process decoding it can tell at once whether it
// holds that key (and which one), instead of failing later in a handshake.
type Fingerprint [8]byte

// FingerprintOf returns key's fingerprint.
func FingerprintOf(key []byte) Fingerprint {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("uactor/1 key id"))
	var f Fingerprint
	copy(f[:], m.Sum(nil))
	return f
}

// Keyring is a set of keys, each held for as long as some user of it has not
// released it. The zero value is ready to use.
type Keyring struct {
	mu   sync.Mutex
	keys map[Fingerprint]*held
}

type held struct {
	key  []byte
	refs int
}

// Add holds key until the returned release is called (release is idempotent).
func (k *Keyring) Add(key []byte) (release func()) {
	fp := FingerprintOf(key)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[Fingerprint]*held{}
	}
	h := k.keys[fp]
	if h == nil {
		h = &held{key: append([]byte(nil), key...)}
		k.keys[fp] = h
	}
	h.refs++
	var once sync.Once
	return func() {
		once.Do(func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			if h.refs--; h.refs == 0 {
				delete(k.keys, fp)
			}
		})
	}
}

// Lookup returns the key with fingerprint fp, if held.
func (k *Keyring) Lookup(fp Fingerprint) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.keys[fp]
	if !ok {
		return nil, false
	}
	return h.key, true
}
