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
	own  KeyID         // the id this process puts in refs to its actors
	ids  map[KeyID]int // every id the key is known by here: pinned, or how many hold it (Learn, Use)
	refs int
}

// pinned marks an id that names its key for as long as the key is held:
// this process's own, and one given with AddAs.
const pinned = -1

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
		h = &held{key: append([]byte(nil), key...), ids: map[KeyID]int{}}
		if id != nil {
			h.own = *id
		} else {
			rand.Read(h.own[:])
		}
		k.byKey[string(key)] = h
		k.pinLocked(h, h.own)
	}
	if id != nil {
		k.pinLocked(h, *id)
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
				clear(h.ids) // what still holds an id lets go of nothing
			}
		})
	}
}

// Learn records that a peer knows key by id, for as long as key is held
// here and until the returned release is called (release is idempotent):
// the holder is what reached the peer, so that an id is not kept for a
// peer long left. It does nothing if key is not held. An id already
// naming another key keeps naming that one.
func (k *Keyring) Learn(key []byte, id KeyID) (release func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h := k.byKey[string(key)]
	if h == nil {
		return func() {}
	}
	return k.holdIDLocked(h, id)
}

// Use returns the key known by id, if held, and holds id until the
// returned release is called (release is idempotent), as Learn does: for a
// ref that names the key by id.
func (k *Keyring) Use(id KeyID) (key []byte, release func(), ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, ok := k.byID[id]
	if !ok {
		return nil, nil, false
	}
	return h.key, k.holdIDLocked(h, id), true
}

// pinLocked has id name h's key for as long as it is held.
func (k *Keyring) pinLocked(h *held, id KeyID) {
	if g := k.byID[id]; g == nil || g == h {
		k.byID[id] = h
		h.ids[id] = pinned
	}
}

// holdIDLocked has id name h's key until the returned release, unless id
// names another key or is pinned.
func (k *Keyring) holdIDLocked(h *held, id KeyID) func() {
	if g := k.byID[id]; g != nil && g != h || h.ids[id] == pinned {
		return func() {}
	}
	k.byID[id] = h
	h.ids[id]++
	var once sync.Once
	return func() {
		once.Do(func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			if h.ids[id] <= 0 { // pinned since, or the key let go of
				return
			}
			if h.ids[id]--; h.ids[id] == 0 {
				delete(h.ids, id)
				if k.byID[id] == h {
					delete(k.byID, id)
				}
			}
		})
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

// Known returns how many ids name keys.
func (k *Keyring) Known() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.byID)
}
