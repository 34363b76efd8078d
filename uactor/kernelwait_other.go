//go:build !linux

package uactor

import "time"

// canWaitInKernel says whether waitReadable waits: only on Linux.
const canWaitInKernel = false

func waitReadable(fd uintptr, d time.Duration) {}
