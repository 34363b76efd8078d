package uactor

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// newSleeper returns the clock's sleeper: a timerfd, which the clock's
// goroutine reads through the network poller like a socket, so that no
// runtime timer is set. Should the system refuse one, a runtime timer.
func newSleeper() clockSleeper {
	const clockMonotonic = 1
	fd, _, e := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, clockMonotonic, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		return newTimerSleeper()
	}
	f := os.NewFile(fd, "uactor-clock") // non-blocking: read through the poller
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return newTimerSleeper()
	}
	t := &timerfd{f: f, rc: rc}
	t.settime = t.set
	return t
}

type timerfd struct {
	f      *os.File
	rc     syscall.RawConn
	failed atomic.Int64 // set when arming failed: wait sleeps this long instead

	// settime's argument and result, and settime bound once, so that arming
	// allocates nothing. arm is called under the clock's lock.
	spec    struct{ interval, value syscall.Timespec }
	errno   syscall.Errno
	settime func(fd uintptr)
}

// arm sets the timerfd to expire once, d from now.
func (t *timerfd) arm(d time.Duration) {
	t.spec.value = syscall.NsecToTimespec(int64(max(d, time.Nanosecond)))
	t.errno = 0
	if err := t.rc.Control(t.settime); err != nil || t.errno != 0 {
		t.failed.Store(int64(d))
	} else {
		t.failed.Store(0)
	}
}

func (t *timerfd) set(fd uintptr) {
	_, _, t.errno = syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&t.spec)), 0, 0, 0)
}

// wait reads the count of expirations, waiting in the poller for the first.
func (t *timerfd) wait() {
	if d := time.Duration(t.failed.Load()); d > 0 {
		time.Sleep(d)
		return
	}
	var b [8]byte
	t.f.Read(b[:])
}
