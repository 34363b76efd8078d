//go:build unix

package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A second Ctrl-C ends the command at once, as it ends Go's own commands,
// while the first still lets it clean up: before, every interrupt after
// the first was caught and ignored, so that a clean-up that hung could
// not be cut short.
func TestSecondInterruptEnds(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envTestInterrupt+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	t.Cleanup(func() { kill.Stop(); cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for _, want := range []string{"ready", "interrupted"} {
		if !lines.Scan() || strings.TrimSpace(lines.Text()) != want {
			t.Fatalf("the process wrote %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
		cmd.Process.Signal(os.Interrupt)
	}
	err = cmd.Wait()
	ee := (*exec.ExitError)(nil)
	if !errors.As(err, &ee) {
		t.Fatalf("exit: %v; want the second interrupt to end it", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Fatalf("exit: %v; want the second interrupt to end it", err)
	}
}
