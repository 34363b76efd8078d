//go:build !linux

package uactor

// canYield says whether yieldCPU gives the CPU away: only on Linux.
const canYield = false

func yieldCPU() {}
