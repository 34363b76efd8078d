//go:build linux && !(mips || mipsle || mips64 || mips64le)

package spawn

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// A child's pidfd lets this process wait for it through the runtime's
// poller. os/exec waits in a blocking waitid instead, which holds an OS
// thread for each live child: an owner of many actors would hold as many
// threads, and the runtime stops a program at 10000.

const (
	sysPidfdOpen = 434 // pidfd_open(2), the same number on every architecture
	pPID         = 1   // waitid's idtype P_PID
	pPidfd       = 3   // waitid's idtype P_PIDFD
	cldExited    = 1   // siginfo codes of a child that ended
	cldKilled    = 2
	cldDumped    = 3
)

// pidfdWorks reports whether this kernel has pidfds and can wait on one
// (waitid's P_PIDFD came one release after pidfd_open).
var pidfdWorks = sync.OnceValue(func() bool {
	fd, _, e := syscall.Syscall(sysPidfdOpen, uintptr(os.Getpid()), 0, 0)
	if e != 0 {
		return false
	}
	defer syscall.Close(int(fd))
	var info siginfo
	_, _, e = syscall.Syscall6(syscall.SYS_WAITID, pPidfd, fd, uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOHANG, 0, 0)
	return e == syscall.ECHILD // this process is not its own child; EINVAL: no P_PIDFD
})

// noClonePidfd is set once a start that asked for a pidfd was refused.
var noClonePidfd atomic.Bool

// withPidfd has the start ask the kernel for a pidfd of the child, if waiting
// on one works here; the started child's pidfd is then *a.PidFD.
func withPidfd(a *syscall.SysProcAttr) {
	if pidfdWorks() && !noClonePidfd.Load() {
		fd := -1
		a.PidFD = &fd
	}
}

// pidfdRefused reports whether a start with a failed with err because it
// asked for a pidfd (a kernel, or an emulation of one, that has pidfds but
// no clone flag for them); starts ask for none from then on.
func pidfdRefused(a *syscall.SysProcAttr, err error) bool {
	if a.PidFD == nil || !errors.Is(err, syscall.EINVAL) {
		return false
	}
	noClonePidfd.Store(true)
	return true
}

// pidfdOf returns the pidfd that a start with a asked for, or -1.
func pidfdOf(a *syscall.SysProcAttr) int {
	if a.PidFD == nil {
		return -1
	}
	return *a.PidFD
}

// siginfo is the part of siginfo_t that waitid fills in for a child.
type siginfo struct {
	signo, errno, code int32
	_                  [unsafe.Sizeof(uintptr(0))/4 - 1]int32 // the union is pointer-aligned
	pid                int32
	uid                uint32
	status             int32
	_                  [128 - 3*4 - (unsafe.Sizeof(uintptr(0))/4-1)*4 - 3*4]byte
}

// waitPidfd reaps the child that pidfd refers to once it has exited,
// parking only the calling goroutine, and closes pidfd. ok is false if the
// child could not be waited for this way; it is then still to be reaped.
func waitPidfd(pidfd int) (ws syscall.WaitStatus, ok bool) {
	if syscall.SetNonblock(pidfd, true) != nil {
		syscall.Close(pidfd)
		return 0, false
	}
	f := os.NewFile(uintptr(pidfd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	err = rc.Read(func(fd uintptr) bool {
		var done bool
		ws, ok, done = waitidNohang(int(fd))
		return done // not yet: park until the pidfd is readable
	})
	return ws, ok && err == nil
}

// waitidNohang reaps the child that pidfd refers to if it has exited. done
// is false while it runs; ok is false (and done true) if it cannot be
// waited for this way, and it is then still to be reaped.
func waitidNohang(pidfd int) (ws syscall.WaitStatus, ok, done bool) {
	for {
		var info siginfo
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPidfd, uintptr(pidfd), uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOHANG, 0, 0)
		switch {
		case e == syscall.EINTR:
			continue
		case e != 0:
			return 0, false, true
		case info.pid == 0:
			return 0, false, false
		}
		return info.waitStatus(), true, true
	}
}

// watchExit has the process's poller reap the child once its pidfd is
// readable, so that no goroutine waits for each child; false if the poller
// cannot watch it.
func (p *Process) watchExit() bool {
	var ws syscall.WaitStatus
	var reaped bool
	w := watchReadable(p.pidfd, func([]byte) bool {
		var done bool
		ws, reaped, done = waitidNohang(p.pidfd)
		return done
	}, func() {
		// On the poller's goroutine: what may wait goes elsewhere.
		syscall.Close(p.pidfd)
		p.pidfd = -1
		if !reaped {
			go func() { p.exited(p.wait()) }()
			return
		}
		p.cmd.Process.Release() // reaped: the os package's handle has nothing left to do
		go p.exited(ws, true)
	})
	return w != nil
}

// waitStatus converts what waitid reports to what wait4 would have.
func (s *siginfo) waitStatus() syscall.WaitStatus {
	switch s.code {
	case cldExited:
		return syscall.WaitStatus(s.status << 8)
	case cldDumped:
		return syscall.WaitStatus(s.status) | 0x80
	case cldKilled:
		return syscall.WaitStatus(s.status)
	}
	return 0
}

// exitedUnreaped reports whether the child pid has exited, without reaping
// it (WNOWAIT): a zombie, or reaped already by the time it asks.
func exitedUnreaped(pid int) bool {
	const wNowait = 0x01000000
	for {
		var info siginfo
		_, _, e := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid), uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOHANG|wNowait, 0, 0)
		switch e {
		case syscall.EINTR:
			continue
		case syscall.ECHILD:
			return true // reaped since the caller looked
		case 0:
			return info.pid == int32(pid)
		}
		return false
	}
}
