//go:build !race

package uactor

// raceEnabled is whether the race detector is on, which makes sync.Pool drop
// some of what it is given, so that counts of allocations mean nothing.
const raceEnabled = false
