package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The command run on one CPU (a process pinned so, as taskset -c 0 pins
// it) with -placement samecore cannot measure what it was asked to: it
// must say why and exit 1, not 0 with nothing measured.
func TestSameCoreOnOneCPUFails(t *testing.T) {
	cpus, err := allowedCPUs()
	if err != nil {
		t.Skip(err)
	}
	cmd := commandProcess(t, "-quick", "-duration=5ms", "-placement", "samecore", "-json", "", "-svg", "")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 10 * time.Second
	done := make(chan struct{})
	defer close(done)
	if err := startPinned(cmd, cpus[0], done); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer kill.Stop()
	err = cmd.Wait()
	if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit: %v; want exit status 1\nstderr:\n%s", err, errb.String())
	}
	if s := errb.String(); !strings.Contains(s, sameCore) || !strings.Contains(s, "only CPU") {
		t.Errorf("stderr does not say why the same-core placement could not run:\n%s", s)
	}
}
