package uactor

import (
	"context"

	"github.com/uactor-go/uactor/internal/spawn"
)

// Standby keeps n processes of this binary started ahead of need, each
// waiting to become an actor: Spawn, and an owner restarting an actor, then
// hand the actor to one of them instead of starting a process, which skips
// the exec and the Go runtime's start (most of a spawn's time), and another
// standby starts in the background to take its place (after one dies
// too). Standby returns once n wait, or with the error of a start that
// failed, or with ctx's, which ends the wait but not the starts; it changes
// nothing already spawned. A start that failed is tried again by the next
// Spawn or restart that finds no standby waiting, so one that keeps failing
// costs an extra start for each. The count is the process's: a later call
// replaces it, and an earlier call still waiting then returns.
// Standby(ctx, 0), the default, ends every standby, waiting or starting,
// and returns once they have exited, or with ctx's error once ctx ends,
// which ends the wait but not the ending. A negative n is an error
// (ErrOption), and so, as for Spawn, is a program that did not call Main
// (ErrNoMain).
//
// A standby costs an idle process. It runs with the environment, working
// directory, limits and CPU affinity this process had when it started the
// standby, not when Spawn is called, and its command line names no kind
// ("uactor:(standby)") for its whole life. What it writes before it
// becomes an actor (read meanwhile, so that it never waits on a full pipe;
// 256 KiB of whole lines a pipe are kept, and the lines past that counted
// as dropped) is passed on under the actor's prefix, or, if it ends
// unclaimed (its start failed, say), to standard error under
// "uactor:(standby)[pid] ". Standbys end when this process does.
func Standby(ctx context.Context, n int) error {
	switch {
	case !mainRan.Load():
		return errorf("uactor: Standby: %w", ErrNoMain)
	case n < 0:
		return errorf("uactor: Standby(%d): %w: a negative count", n, ErrOption)
	}
	if err := spawn.Standby(ctx, n); err != nil {
		return errorf("uactor: Standby(%d): %w", n, err)
	}
	return nil
}
