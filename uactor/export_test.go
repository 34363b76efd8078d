package uactor

// StretchKey gives tests that run the handshake by hand the key an actor
// given AuthKey(key) proves.
func StretchKey(key []byte) []byte { return stretch(key) }

// LockedBuffer is a bytes.Buffer that one goroutine may write while
// another reads it, for tests that collect what actors write.
type LockedBuffer = lockedBuffer

// MemoryDir is where socket directories go by default on a memory
// filesystem, or "" where there is none.
func MemoryDir() string { return memoryDir() }

// RaceEnabled is whether the race detector is on.
const RaceEnabled = raceEnabled

// SetLeadReturnedHook has f run each time a caller that read the
// connection for others has stopped reading, before it takes the
// connection's lock back; nil removes it. Set it while no call runs.
func SetLeadReturnedHook(f func()) { testHookLeadReturned = f }
