package uactor

import (
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// kernelSleep sleeps for d on a timerfd: the goroutine waits in the network
// poller, like a read, and no runtime timer is set (see clock). Were the
// timerfd unavailable, it sleeps on a timer.
func kernelSleep(d time.Duration) {
	f, err := clockFD()
	if err == nil {
		err = armTimer(f, d)
	}
	if err != nil {
		time.Sleep(d)
		return
	}
	var b [8]byte // the count of expirations
	f.Read(b[:])
}

var clockFD = sync.OnceValues(func() (*os.File, error) {
	const clockMonotonic = 1
	fd, _, e := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return nil, e
	}
	return os.NewFile(fd, "uactor-clock"), nil // non-blocking: read through the poller
})

// armTimer sets f to expire once, d from now.
func armTimer(f *os.File, d time.Duration) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	spec := struct{ interval, value syscall.Timespec }{value: syscall.NsecToTimespec(int64(max(d, time.Nanosecond)))}
	var e syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, e = syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	}); err != nil {
		return err
	}
	if e != 0 {
		return e
	}
	return nil
}
