package uactor

import (
	"context"
	"path/filepath"

	"github.com/google/uuid"
)

// Spawn starts an actor of kind k in a new process (this binary, re-executed)
// with arg as its constructor's argument, and returns the owner's ref once
// the actor serves. If the constructor fails, Spawn returns its error
// message; if the actor cannot listen where Listen says, an error that
// matches the system's reason too (errors.Is(err, syscall.EADDRINUSE) for
// a port in use); if the process ends before it serves (it exits or is
// killed in the constructor), an error holding an *ExitError that says
// how. Closing the returned ref stops the actor; the actor also stops
// when this process dies. The program must call Main first thing in main.
// In an actor's process whose owner closes it, Spawn fails with ErrClosed
// once the process has stopped the actors it spawned, which it does after
// its own calls.
//
// The ref's Done and Err tell when and how the actor's process ended; with
// Restart, the owner starts it again instead. Its output reaches this
// process's stderr, or the writer given with Output, line by line.
func Spawn[A, Arg any](ctx context.Context, k *Kind[A, Arg], arg Arg, opts ...Option) (Ref[A], error) {
	name := k.entry.name
	switch {
	case !mainRan.Load():
		return Ref[A]{}, errorf("uactor: Spawn(%q): %w", name, ErrNoMain)
	case k.entry.late:
		return Ref[A]{}, errorf("uactor: Spawn(%q): the kind was defined after uactor.Main ran, "+
			"so a child process cannot know it: declare it in a package-level var (Host serves it in this process)", name)
	}
	o := k.opts.with(opts)
	if err := o.validate(); err != nil {
		return Ref[A]{}, errorf("uactor: Spawn(%q): %w", name, err)
	}
	if err := o.absSockets(); err != nil { // here: a standby has its own working directory
		return Ref[A]{}, errorf("uactor: Spawn(%q): %w", name, err)
	}
	if len(o.serverIC) != len(k.opts.serverIC) {
		return Ref[A]{}, errorf("uactor: Spawn(%q): %w: ServerInterceptors cannot travel to the actor's process: give them to Define", name, ErrOption)
	}
	argBytes, err := k.arg.append(nil, arg)
	if err != nil {
		return Ref[A]{}, errorf("uactor: Spawn(%q): argument: %w", name, err)
	}
	key, err := holdKey(ctx, o.key)
	if err != nil {
		return Ref[A]{}, errorf("uactor: Spawn(%q): %w", name, err)
	}
	tk, tid := defaultKey()
	// The child gets the stretched key and this process's id for it, so it
	// pays no stretching and its refs name the key as ours do.
	boot := bootstrap{kind: name, treeKey: tk, treeKeyID: tid, key: key.key, keyID: key.id, opts: o, arg: argBytes, id: uuid.New(),
		kindLogger: o.logger != nil && o.logger == k.opts.logger}
	// This process makes the actor's private directory, so that the actor
	// keeps its address across restarts, and removes it, and only it, when
	// the actor is gone (never a directory the child names). It holds the
	// actor's socket, unless it listens on TCP, and those of the values it
	// hosts, which go with it even when its process is killed.
	dir, err := makeLockedDir()
	if err != nil {
		key.release()
		return Ref[A]{}, errorf("uactor: Spawn(%q): private socket directory: %w", name, err)
	}
	boot.dir = dir
	if o.listen == "" || o.listen == "unix" {
		boot.opts.listen = "unix://" + filepath.Join(dir, "actor.sock")
	}
	s, err := supervise(ctx, &boot)
	if err != nil {
		key.release()
		removeDir(boot.dir)
		return Ref[A]{}, err
	}
	return Ref[A]{newHandle(name, boot.id, s.addr, s.adv, s.pid(), key.key, key.id, o, s, key.release)}, nil
}
