package uactor

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/uactor-go/uactor/internal/addr"
	"github.com/uactor-go/uactor/internal/keyring"
)

// The process's knowledge of other actors: keys it holds, and addresses it
// reaches some actors at instead of the ones their refs name.
var (
	heldKeys keyring.Keyring
	captures addr.Captures
)

// NewKey returns 32 random bytes from crypto/rand: an authkey no one can
// guess, for AuthKey and Connect. Keys a person chose (passwords) are only
// as strong as their entropy allows, and belong on trusted networks.
func NewKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// A handshake proof lets whoever sees it (a recording, or a fake actor that
// a forged ref sent a client to) test guesses of the key offline. So keys
// given by the user are stretched before they are used: each guess then
// costs a PBKDF2-HMAC-SHA256 of stretchIterations, tens of milliseconds of
// one core (see BENCHMARKS.md), instead of a microsecond. A process pays that
// once per user key while it is among the last it used (stretchCache), and
// spawned actors receive the stretched key. Both ends of a connection must
// stretch alike, so the parameters are part of the protocol (PROTOCOL.md).
const (
	stretchIterations = 250_000
	stretchSalt       = "uactor/2 authkey"
	stretchedSize     = 32
)

// stretchCache holds the stretched keys of the last stretchCacheMax user
// keys, by the SHA-256 of each: the user's key itself is not kept, and a
// process that goes through many keys holds a bounded number.
var stretchCache struct {
	sync.Mutex
	keys  map[[sha256.Size]byte]*stretchedKey
	clock uint64 // counts the asks, for stretchedKey.used
}

const stretchCacheMax = 64

type stretchedKey struct {
	once sync.Once
	key  []byte
	used uint64 // stretchCache's clock when last asked for
}

// deriveKey is the stretching itself; a variable so that tests can count it.
var deriveKey = func(raw string) []byte {
	k, err := pbkdf2.Key(sha256.New, raw, []byte(stretchSalt), stretchIterations, stretchedSize)
	if err != nil { // only for parameters outside FIPS bounds, which these are not
		panic(fmt.Sprintf("uactor: stretching an authkey: %v", err))
	}
	return k
}

// stretch returns the key a handshake uses for the user key raw, computing
// it at most once while the key stays among the last stretchCacheMax used
// (concurrent callers wait for the same work).
// A caller whose ctx has ended starts nothing. One whose ctx ends while the
// key stretches waits for it, tens of milliseconds at most: the work runs
// on the caller's goroutine, so that callers who give up early cannot pile
// up stretching that nobody waits for.
func stretch(ctx context.Context, raw []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	stretchCache.Lock()
	if stretchCache.keys == nil {
		stretchCache.keys = map[[sha256.Size]byte]*stretchedKey{}
	}
	s := stretchCache.keys[sum]
	if s == nil {
		if len(stretchCache.keys) >= stretchCacheMax {
			evictStretchedLocked()
		}
		s = &stretchedKey{}
		stretchCache.keys[sum] = s
	}
	stretchCache.clock++
	s.used = stretchCache.clock
	stretchCache.Unlock()
	s.once.Do(func() { s.key = deriveKey(string(raw)) })
	return s.key, nil
}

// evictStretchedLocked forgets the least recently used key. One still
// stretching is forgotten too: its callers hold it, and finish with it.
func evictStretchedLocked() {
	var oldest [sha256.Size]byte
	least := ^uint64(0)
	for sum, s := range stretchCache.keys {
		if s.used < least {
			oldest, least = sum, s.used
		}
	}
	delete(stretchCache.keys, oldest)
}

// treeKey is the default authkey of every actor in this process tree: made at
// random by the root process, inherited by spawned ones through the bootstrap,
// with the id refs name it by. It is 32 random bytes, so it needs no stretching.
var treeKey struct {
	once sync.Once
	key  []byte
	id   keyring.KeyID
}

func defaultKey() ([]byte, keyring.KeyID) {
	treeKey.once.Do(func() {
		k := NewKey()
		id, _ := heldKeys.Add(k) // held for the life of the process
		treeKey.key, treeKey.id = k, id
	})
	return treeKey.key, treeKey.id
}

// inheritTreeKey installs the parent's key in a child process, under the
// parent's id, before anything else asks for it.
func inheritTreeKey(k []byte, id keyring.KeyID) {
	treeKey.once.Do(func() {
		heldKeys.AddAs(k, id)
		treeKey.key, treeKey.id = k, id
	})
}

// errEmptyKey refuses AuthKey with an empty key: an authkey anyone can guess.
var errEmptyKey = fmt.Errorf("%w: AuthKey was given an empty key", ErrAuthKey)

// actorKey is the key an actor is reached with, held in the keyring under
// id until release.
type actorKey struct {
	key     []byte
	id      keyring.KeyID
	release func()
}

// holdKey returns the key to use, held in the keyring: the one set with
// AuthKey (stretched), or the process tree's when none was set.
func holdKey(ctx context.Context, raw []byte) (actorKey, error) {
	switch {
	case raw == nil:
		k, id := defaultKey()
		return actorKey{k, id, func() {}}, nil
	case len(raw) == 0:
		return actorKey{}, errEmptyKey
	}
	k, err := stretch(ctx, raw)
	if err != nil {
		return actorKey{}, err
	}
	id, release := heldKeys.Add(k)
	return actorKey{k, id, release}, nil
}
