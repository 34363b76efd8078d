package proctest

import (
	"os"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestStates(t *testing.T) {
	if Gone(os.Getpid()) {
		t.Fatal("this process reads as gone")
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	syscall.Kill(pid, syscall.SIGSTOP)
	waitState(t, pid, func(s byte) bool { return s == 'T' }, "stopped")
	cmd.Process.Kill()
	waitState(t, pid, func(s byte) bool { return s == 'Z' }, "a zombie")
	if !Gone(pid) {
		t.Fatal("a zombie is not gone")
	}
	if !slices.Contains(Children(os.Getpid()), pid) {
		t.Fatalf("children %v lack the zombie %d", Children(os.Getpid()), pid)
	}
	cmd.Wait()
	if State(pid) != 0 || !Gone(pid) {
		t.Fatalf("a reaped process has state %q", State(pid))
	}
	if slices.Contains(Children(os.Getpid()), pid) {
		t.Fatalf("children %v hold %d, reaped", Children(os.Getpid()), pid)
	}
}

func waitState(t *testing.T, pid int, ok func(byte) bool, what string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if ok(State(pid)) {
			return
		}
	}
	t.Fatalf("process %d not %s: state %q", pid, what, State(pid))
}
