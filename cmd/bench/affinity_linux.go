package main

import (
	"errors"
	"math/bits"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"
)

// cpuMask is a sched_setaffinity mask for up to 1024 CPUs.
type cpuMask [16]uint64

func (m *cpuMask) count() int {
	n := 0
	for _, w := range m {
		n += bits.OnesCount64(w)
	}
	return n
}

// cpus lists the CPUs in m.
func (m *cpuMask) cpus() []int {
	var l []int
	for i, w := range m {
		for ; w != 0; w &= w - 1 {
			l = append(l, i*64+bits.TrailingZeros64(w))
		}
	}
	return l
}

// threadAffinity returns the calling thread's CPU mask.
func threadAffinity() (cpuMask, error) {
	var m cpuMask
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, uintptr(len(m)*8), uintptr(unsafe.Pointer(&m[0])))
	if e != 0 {
		return m, e
	}
	return m, nil
}

// allowedCPUs lists the CPUs this process may run on.
func allowedCPUs() ([]int, error) {
	m, err := threadAffinity()
	if err != nil {
		return nil, err
	}
	return m.cpus(), nil
}

// pinThread pins the calling thread to cpu; the caller has locked its
// goroutine to the thread.
func pinThread(cpu int) error {
	if cpu < 0 || cpu >= len(cpuMask{})*64 {
		return errors.New("no such CPU")
	}
	var m cpuMask
	m[cpu/64] = 1 << (cpu % 64)
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, uintptr(len(m)*8), uintptr(unsafe.Pointer(&m[0])))
	if e != 0 {
		return e
	}
	return nil
}

// startPinned starts cmd from a thread pinned to cpu, so that the process,
// and every process it starts in turn, inherits the one-CPU mask. The thread
// lives, locked, until done is closed (cmd's parent-death signal is tied to
// it), then exits with its mask rather than return to the scheduler. A
// failure to pin the thread is a *pinError.
func startPinned(cmd *exec.Cmd, cpu int, done <-chan struct{}) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the pinned thread dies with this goroutine
		if err := pinThread(cpu); err != nil {
			errc <- &pinError{cpu, err}
			return
		}
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
		err := cmd.Start()
		errc <- err
		if err == nil {
			<-done
		}
	}()
	return <-errc
}

// workerCPU returns the one CPU this process is pinned to.
func workerCPU() (int, error) {
	m, err := threadAffinity()
	if err != nil {
		return -1, err
	}
	if m.count() != 1 {
		return -1, errors.New("the worker is not pinned to one CPU")
	}
	return m.cpus()[0], nil
}
