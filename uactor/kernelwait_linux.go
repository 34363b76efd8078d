package uactor

import (
	"syscall"
	"time"
	"unsafe"
)

// canWaitInKernel says whether waitReadable waits.
const canWaitInKernel = true

// pollFd is poll(2)'s struct pollfd.
type pollFd struct {
	fd      int32
	events  int16
	revents int16
}

const pollIn = 0x1 // POLLIN

// waitReadable blocks the calling thread until fd is readable (or has
// failed, or its peer has gone), or d has passed. It is a system call that
// the runtime knows of, so the goroutine's CPU goes to others meanwhile.
func waitReadable(fd uintptr, d time.Duration) {
	p := pollFd{fd: int32(fd), events: pollIn}
	end := time.Now().Add(d)
	for {
		ts := syscall.NsecToTimespec(int64(d))
		_, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if errno != syscall.EINTR {
			return
		}
		if d = time.Until(end); d <= 0 {
			return
		}
	}
}
