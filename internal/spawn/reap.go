package spawn

import (
	"errors"
	"fmt"
	"syscall"
)

// startReaper has the child reaped once it exits: by the process's poller
// where it can watch the child's pidfd, else by a goroutine that waits.
func (p *Process) startReaper() {
	if p.pidfd >= 0 && p.watchExit() {
		return
	}
	go func() { p.exited(p.wait()) }()
}

// wait reaps the child and returns how it ended (known is false if the
// system did not say): through its pidfd where the system gives one
// (waitPidfd), else with a blocking wait.
func (p *Process) wait() (ws syscall.WaitStatus, known bool) {
	if p.pidfd >= 0 {
		if ws, ok := waitPidfd(p.pidfd); ok {
			p.cmd.Process.Release() // reaped: the os package's handle has nothing left to do
			return ws, true
		}
	}
	p.cmd.Wait()
	if st := p.cmd.ProcessState; st != nil {
		ws, known = st.Sys().(syscall.WaitStatus)
	}
	return ws, known
}

// statusError describes an exit other than a clean one, as os/exec does
// ("exit status 2", "signal: killed"); nil for exit status 0.
func statusError(ws syscall.WaitStatus, known bool) error {
	switch {
	case !known:
		return errors.New("exit status unknown")
	case ws.Signaled() && ws.CoreDump():
		return fmt.Errorf("signal: %v (core dumped)", ws.Signal())
	case ws.Signaled():
		return fmt.Errorf("signal: %v", ws.Signal())
	case ws.ExitStatus() != 0:
		return fmt.Errorf("exit status %d", ws.ExitStatus())
	}
	return nil
}
