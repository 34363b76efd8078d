//go:build !linux

package uactor

// newSleeper returns the clock's sleeper: without a timerfd, a runtime timer.
func newSleeper() clockSleeper { return newTimerSleeper() }
