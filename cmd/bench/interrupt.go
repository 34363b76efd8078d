package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// interruptible returns a context that the first SIGINT or SIGTERM
// cancels, so that the command cleans up (closes its actors, kills its
// floors) and reports what it measured, and the function that stops
// listening for them. By the time the context is cancelled, the signals in
// quit have their default action again: another one ends the process at
// once, as a second Ctrl-C ends Go's own commands, should the clean-up
// hang. Signals not in quit are caught and ignored from then on.
func interruptible(quit ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			if len(quit) > 0 { // Reset with none would reset every signal
				signal.Reset(quit...)
			}
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		cancel()
		signal.Stop(sigs)
	}
}
