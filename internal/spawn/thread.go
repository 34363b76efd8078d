package spawn

import (
	"os/exec"
	"runtime"
	"sync"
)

// The parent-death signal is delivered when the thread that forked the child
// exits, not when the process does. The Go runtime may retire a thread (a
// goroutine that locks its thread and returns), so every child is started
// from this one goroutine, locked to its thread for the life of the process.
var (
	starterOnce sync.Once
	starts      chan startReq
)

type startReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startOnLockedThread(cmd *exec.Cmd) error {
	starterOnce.Do(func() {
		starts = make(chan startReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range starts {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	starts <- startReq{cmd, done}
	return <-done
}
