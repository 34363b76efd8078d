//go:build !linux

package main

import (
	"errors"
	"os/exec"
)

var errNoAffinity = errors.New("CPU affinity is only implemented on Linux")

func allowedCPUs() ([]int, error) { return nil, errNoAffinity }

func startPinned(cmd *exec.Cmd, cpu int, done <-chan struct{}) error {
	return &pinError{cpu, errNoAffinity}
}

func workerCPU() (int, error) { return -1, errNoAffinity }
