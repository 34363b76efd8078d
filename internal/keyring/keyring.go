// Package keyring holds the keys a process may use to reach actors, and the
// ids that refs name them by.
package keyring

import (
	"crypto/rand"
	"sync"
)

// KeyID names a key in refs without revealing anything about it: 8 random
// bytes, drawn when a process first holds the key (and inherited by the
// actors it spawns with it). Nothing computable from the key alone travels
// in a ref, so a ref gives no one a way to test guesses of the key. A
// process learns another process's id for a key only inside a handshake in
// which it proved that key (see Learn).
type KeyID [8]byte

// Keyring is a set of keys, each held for as long as some user of it has not
// released it, and the ids this process knows each key by. The zero value is
// ready to use.
type Keyring struct {
	mu    sync.Mutex
	byKey map[string]*held
	byID  map[KeyID]*held
}

type held struct {
	key  []byte
	own  KeyID          // the id this process puts in refs to its actors
	ids  map[KeyID]bool // every id the key is known by here, own included
	refs int
}

// Add holds key until the returned release is called (release is
// idempotent), and returns this process's id for it: random when the key
// is new here.
func (k *Keyring) Add(key []byte) (KeyID, func()) {
	return k.add(key, nil)
}

// AddAs is Add for a key whose id is already chosen: a spawned actor holds
// its owner's key under the owner's id, so that refs from both agree.
func (k *Keyring) AddAs(key []byte, id KeyID) func() {
	_, release := k.add(key, &id)
	return release
}

// add holds key, known by id too if given. A key new here takes id as its
// own, or a random one; a key held already keeps its own, and gets no
// random id besides, which nothing would ever name.
func (k *Keyring) add(key []byte, id *KeyID) (KeyID, func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.byKey == nil {
		k.byKey, k.byID = map[string]*held{}, map[KeyID]*held{}
	}
	h := k.byKey[string(key)]
	if h == nil {
		h = &held{key: append([]byte(nil), key...), ids: map[KeyID]bool{}}
		if id != nil {
			h.own = *id
		} else {
			rand.Read(h.own[:])
		}
		k.byKey[string(key)] = h
		k.learnLocked(h, h.own)
	}
	if id != nil {
		k.learnLocked(h, *id)
	}
	h.refs++
	var once sync.Once
	return h.own, func() {
		once.Do(func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			if h.refs--; h.refs == 0 {
				delete(k.byKey, string(h.key))
				for id := range h.ids {
					if k.byID[id] == h {
						delete(k.byID, id)
					}
				}
			}
		})
	}
}

// Learn records that a peer knows key by id, for as long as key is held
// here; it does nothing if key is not held. An id already naming another
// key keeps naming that one.
func (k *Keyring) Learn(key []byte, id KeyID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if h := k.byKey[string(key)]; h != nil {
		k.learnLocked(h, id)
	}
}

func (k *Keyring) learnLocked(h *held, id KeyID) {
	if k.byID[id] == nil {
		k.byID[id] = h
		h.ids[id] = true
	}
}

// Lookup returns the key known by id, if held.
func (k *Keyring) Lookup(id KeyID) ([]byte, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.byID[id]
	if !ok {
		return nil, false
	}
	return h.key, true
}
