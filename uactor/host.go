package uactor

import (
	"context"
	"os"

	"github.com/google/uuid"
)

// Host serves a as an actor of kind k inside the current process, with no new
// process, and returns a ref that this and other processes can call (or that
// an actor can return, as uActor's result proxies do). Methods run on a
// itself, so every ref to it sees the same state, and concurrently unless
// Serial. Each Host makes another actor: a value hosted twice is served by
// two, whose calls Serial orders each on its own, not together. Closing
// the returned ref stops serving; a ref dropped unclosed serves on for as
// long as the process lives, since copies of it in other processes are out
// of the collector's sight. Host also gives unit tests an in-process
// actor. In an actor's process whose owner closes it, Host fails with
// ErrClosed once the process has stopped the values it hosts, which it
// does after its own calls; the refs it returned are then done, and their
// Err and calls match ErrClosed.
func Host[A, Arg any](ctx context.Context, k *Kind[A, Arg], a A, opts ...Option) (Ref[A], error) {
	if err := ctx.Err(); err != nil {
		return Ref[A]{}, errorf("uactor: Host(%q): %w", k.entry.name, err)
	}
	o := k.opts.with(opts)
	if err := o.validate(); err != nil {
		return Ref[A]{}, errorf("uactor: Host(%q): %w", k.entry.name, err)
	}
	if err := o.absSockets(); err != nil {
		return Ref[A]{}, errorf("uactor: Host(%q): %w", k.entry.name, err)
	}
	key, err := holdKey(ctx, o.key)
	if err != nil {
		return Ref[A]{}, errorf("uactor: Host(%q): %w", k.entry.name, err)
	}
	s, err := newServer(k.entry, a, key.key, key.id, o, uuid.UUID{})
	if err != nil {
		key.release()
		return Ref[A]{}, errorf("uactor: Host(%q): %w", k.entry.name, err)
	}
	h := newHandle(k.entry.name, s.id, s.addr, s.adv, os.Getpid(), key.key, key.id, o, s, key.release)
	if !trackHosted(s, h.life) { // stopHosted has begun: stop it as Close would, at once
		s.stopWithin(0)
		h.release()
		return Ref[A]{}, errorf("uactor: Host(%q): %w", k.entry.name, errHostClosed)
	}
	return Ref[A]{h}, nil
}
