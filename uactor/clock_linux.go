package uactor

import (
	"syscall"
	"time"
)

// kernelSleep sleeps for d in a system call, which holds up this goroutine's
// thread but sets no runtime timer (see clock).
func kernelSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
