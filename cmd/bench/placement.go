package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Placements, as the table shows them.
const (
	sameCore = "same core" // the measuring process and all its children on one CPU
	free     = "free"      // unpinned
)

// envWorker marks the pinned worker process; its value is the config as
// JSON. An environment variable rather than a hidden flag, so that a test
// binary re-executed as the worker takes it too.
const envWorker = "UACTOR_BENCH_WORKER"

// runSameCore runs the suite in a re-executed worker pinned, with every
// process it starts, to one CPU, and returns the result it reports as JSON
// on its stdout. The worker's progress goes to stderr.
func runSameCore(ctx context.Context, cfg config, stderr io.Writer) PlacementResult {
	res := PlacementResult{Placement: sameCore, CPU: -1}
	cpus, err := allowedCPUs()
	switch {
	case err != nil:
		res.Skipped = fmt.Sprintf("cannot read the CPU affinity (%v)", err)
		return res
	case len(cpus) < 2:
		res.Skipped = fmt.Sprintf("this process may use only CPU %v: there, the free placement is a same-core one", cpus)
		return res
	}
	cpu := cpus[len(cpus)-1]
	exe, err := os.Executable()
	if err != nil {
		res.Err = err.Error()
		return res
	}
	conf, _ := json.Marshal(cfg)
	cmd := exec.Command(exe)
	cmd.Env = childEnv(envWorker + "=" + string(conf))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	cmd.WaitDelay = 10 * time.Second // should a stray grandchild hold stderr open
	done := make(chan struct{})
	defer close(done)
	if err := startPinned(cmd, cpu, done); err != nil {
		if pe := (*pinError)(nil); errors.As(err, &pe) {
			res.Skipped = pe.Error()
		} else {
			res.Err = fmt.Sprintf("starting the pinned worker: %v", err)
		}
		return res
	}
	// Let the worker clean up after itself (close actors, kill floors) on
	// interrupt. SIGTERM, not SIGINT: a Ctrl-C reaches the worker too (it
	// is in the terminal's process group), and a second SIGINT would end
	// it at once (see interruptible).
	defer context.AfterFunc(ctx, func() { cmd.Process.Signal(syscall.SIGTERM) })()
	werr := cmd.Wait()
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		res = PlacementResult{Placement: sameCore, CPU: cpu,
			Err: fmt.Sprintf("worker: %v; its output: %v; %q", werr, err, strings.TrimSpace(out.String()))}
	}
	return res
}

// pinError is startPinned's error when it could not pin the thread that
// starts the worker, as against the worker failing to start: the first
// skips the placement, the second fails it.
type pinError struct {
	cpu int
	err error
}

func (e *pinError) Error() string {
	return fmt.Sprintf("sched_setaffinity to CPU %d failed (%v)", e.cpu, e.err)
}

func (e *pinError) Unwrap() error { return e.err }

// runWorker is the whole life of the pinned worker: run the suite, print
// the result as JSON on stdout.
func runWorker(conf string) int {
	os.Unsetenv(envWorker)
	var cfg config
	if err := json.Unmarshal([]byte(conf), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: worker: bad config %q: %v\n", conf, err)
		return 2
	}
	if cfg.Stall > 0 {
		stallTimeout = cfg.Stall
	}
	// SIGTERM stays caught: the parent forwards one on its first signal,
	// which may come after the terminal's Ctrl-C reached this process too.
	ctx, stop := interruptible(os.Interrupt)
	defer stop()
	var res PlacementResult
	if cpu, err := workerCPU(); err != nil {
		res = PlacementResult{Placement: sameCore, CPU: -1, Err: err.Error()}
	} else {
		res = runSuite(ctx, cfg, sameCore, os.Stderr)
		res.CPU = cpu
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}
