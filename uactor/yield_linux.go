package uactor

import "syscall"

// canYield says whether yieldCPU gives the CPU away.
const canYield = true

// yieldCPU lets the kernel run another thread on this CPU, such as the
// peer's, before this one goes on. The runtime is not told: the call is
// short, and this process has no other CPU to hand its work to.
func yieldCPU() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
