package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// envTestRun, in this test binary's environment, has it run the command
// with the arguments its value gives as JSON, and exit with its code: the
// command as a process of its own, for tests about what only a process
// shows (its CPU mask, its signals).
const envTestRun = "UACTOR_BENCH_TEST_RUN"

// runIfAsked runs the command if envTestRun asks, and then exits.
func runIfAsked() {
	v, ok := os.LookupEnv(envTestRun)
	if !ok {
		return
	}
	os.Unsetenv(envTestRun)
	var args []string
	if err := json.Unmarshal([]byte(v), &args); err != nil {
		os.Stderr.WriteString("bad " + envTestRun + ": " + err.Error() + "\n")
		os.Exit(2)
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// commandProcess returns a command that runs this test binary as the
// bench command with args.
func commandProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(args)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envTestRun+"="+string(a))
	return cmd
}

// envTestInterrupt, in this test binary's environment, has it wait for
// an interrupt as the command does, then take long to clean up.
const envTestInterrupt = "UACTOR_BENCH_TEST_INTERRUPT"

// interruptIfAsked is that process, if envTestInterrupt asks for it.
func interruptIfAsked() {
	if _, ok := os.LookupEnv(envTestInterrupt); !ok {
		return
	}
	ctx, stop := interruptible(os.Interrupt)
	defer stop()
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("interrupted")
	time.Sleep(30 * time.Second) // a clean-up that takes long
	os.Exit(130)
}
