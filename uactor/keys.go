package uactor

import (
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/uactor-go/uactor/internal/capture"
)

// The process's knowledge of other actors: keys it holds, and addresses it
// reaches some actors at instead of the ones their refs name.
var (
	keyring  capture.Keyring
	captures capture.Table
)

// treeKey is the default authkey of every actor in this process tree: made at
// random by the root process, inherited by spawned ones through the bootstrap.
var treeKey struct {
	once sync.Once
	key  []byte
}

func defaultKey() []byte {
	treeKey.once.Do(func() {
		k := make([]byte, 32)
		rand.Read(k)
		setTreeKey(k)
	})
	return treeKey.key
}

// setTreeKey is called at most once, by the root on first use or by a child
// with its parent's key, before anything else asks for it.
func setTreeKey(k []byte) {
	treeKey.key = k
	keyring.Add(k) // held for the life of the process
}

// inheritTreeKey installs the parent's key in a child process.
func inheritTreeKey(k []byte) {
	treeKey.once.Do(func() { setTreeKey(k) })
}

// errEmptyKey refuses AuthKey with an empty key: an authkey anyone can guess.
var errEmptyKey = fmt.Errorf("%w: AuthKey was given an empty key", ErrAuthKey)

// keyOrDefault returns the key to use: the one set with AuthKey, or the
// process tree's when none was set.
func keyOrDefault(k []byte) ([]byte, error) {
	switch {
	case k == nil:
		return defaultKey(), nil
	case len(k) == 0:
		return nil, errEmptyKey
	}
	return k, nil
}
