package uactor

import (
	"context"
	"syscall"
)

// StretchKey gives tests that run the handshake by hand the key an actor
// given AuthKey(key) proves.
func StretchKey(key []byte) []byte {
	k, err := stretch(context.Background(), key)
	if err != nil {
		panic(err) // a context that never ends
	}
	return k
}

// LockedBuffer is a bytes.Buffer that one goroutine may write while
// another reads it, for tests that collect what actors write.
type LockedBuffer = lockedBuffer

// UnsentBytes says how many bytes written to rc's socket its peer has not
// taken yet (on Linux; ok is false elsewhere).
func UnsentBytes(rc syscall.RawConn) (n int, ok bool) { return unsentBytes(rc) }

// MemoryDir is where socket directories go by default on a memory
// filesystem, or "" where there is none.
func MemoryDir() string { return memoryDir() }

// RaceEnabled is whether the race detector is on.
const RaceEnabled = raceEnabled

// SetLeadReturnedHook has f run each time a caller that read the
// connection for others has stopped reading, before it takes the
// connection's lock back; nil removes it. Set it while no call runs.
func SetLeadReturnedHook(f func()) {
	if f == nil {
		testHookLeadReturned.Store(nil)
		return
	}
	testHookLeadReturned.Store(&f)
}

// SetNoIdleWatcher keeps connections that go idle from starting a
// watcher while on is true, so that the read role goes to callers only.
func SetNoIdleWatcher(on bool) { testHookNoIdleWatcher.Store(on) }

// SetInlineRanHook has f run with the method's name each time a call run
// inline has ended, before its goroutine looks whether it still holds the
// read role; nil removes it. Set it while no call runs.
func SetInlineRanHook(f func(method string)) {
	if f == nil {
		testHookInlineRan.Store(nil)
		return
	}
	testHookInlineRan.Store(&f)
}

// ForgetBlocking has every method of k run inline again, as if none of its
// calls had ever blocked a connection's reader, so that a test run more
// than once in a process starts where its first run did.
func ForgetBlocking[A, Arg any](k *Kind[A, Arg]) {
	k.entry.mu.RLock()
	defer k.entry.mu.RUnlock()
	for _, m := range k.entry.methods {
		m.blocks.Store(false)
	}
}

// KnownToBlock reports whether calls of k's method go to a worker because
// one of them blocked a connection's reader.
func KnownToBlock[A, Arg any](k *Kind[A, Arg], method string) bool {
	k.entry.mu.RLock()
	defer k.entry.mu.RUnlock()
	m := k.entry.methods[method]
	return m != nil && m.blocks.Load()
}

// Reconnecting reports whether r's connection broke and is being made
// again.
func Reconnecting[A any](r Ref[A]) bool {
	p := r.h.peer
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.cur.Load()
	return p.dialing != nil && c != nil && c.broken.Load()
}

// Buffered reports how many bytes r's connection has queued or is
// writing, or -1 if r holds none (an owner's ref holds its actor's
// connection elsewhere).
func Buffered[A any](r Ref[A]) int {
	c := r.h.peer.cur.Load()
	if c == nil {
		return -1
	}
	return c.w.Buffered()
}

// LogInterval is the least time between two records of one kind that
// strangers can provoke.
const LogInterval = logInterval

// PenaltyBox is how many rejected connections an actor holds, outside its
// handshake budget, until their rejections' turns.
const PenaltyBox = penaltyBox

// KnownKeyIDs is how many key ids this process's keyring knows keys by.
func KnownKeyIDs() int { return heldKeys.Known() }

// HoldBeforeReady has this process, if it becomes an actor, hold for ever
// once it listens, before it reports ready; call it before Main.
func HoldBeforeReady() { testHookBeforeReady = func() { select {} } }
