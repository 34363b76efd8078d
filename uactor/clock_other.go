//go:build !linux

package uactor

import "time"

// kernelSleep sleeps for d. Without a portable sleeping system call it uses
// a runtime timer, as keepalive did before the clock.
func kernelSleep(d time.Duration) { time.Sleep(d) }
