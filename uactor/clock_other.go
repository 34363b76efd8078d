//go:build !linux

package uactor

import "time"

// kernelSleep sleeps for d. Without a timerfd to wait on, it uses a runtime
// timer.
func kernelSleep(d time.Duration) { time.Sleep(d) }
