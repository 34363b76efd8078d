package uactor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/uactor-go/uactor/internal/hmac"
	"github.com/uactor-go/uactor/internal/spawn"
)

// Spawn starts an actor of kind k in a new process (this binary, re-executed)
// with arg as its constructor's argument, and returns the owner's ref once
// the actor serves. If the constructor fails, Spawn returns its error
// message. Closing the returned ref stops the actor; the actor also stops
// when this process dies. The program must call Main first thing in main.
func Spawn[A, Arg any](ctx context.Context, k *Kind[A, Arg], arg Arg, opts ...Option) (Ref[A], error) {
	name := k.entry.name
	switch {
	case !mainRan.Load():
		return Ref[A]{}, fmt.Errorf("uactor: Spawn(%q): %w", name, ErrNoMain)
	case k.entry.late:
		return Ref[A]{}, fmt.Errorf("uactor: Spawn(%q): the kind was defined after uactor.Main ran, "+
			"so a child process cannot know it: declare it in a package-level var (Host serves it in this process)", name)
	}
	o := k.opts.with(opts)
	argBytes, err := appendValue(nil, arg)
	if err != nil {
		return Ref[A]{}, fmt.Errorf("uactor: Spawn(%q): argument: %w", name, err)
	}
	key, err := holdKey(o.key)
	if err != nil {
		return Ref[A]{}, fmt.Errorf("uactor: Spawn(%q): %w", name, err)
	}
	tk, tid := defaultKey()
	// The child gets the stretched key and this process's id for it, so it
	// pays no stretching and its refs name the key as ours do.
	boot := bootstrap{kind: name, treeKey: tk, treeKeyID: tid, key: key.key, keyID: key.id, opts: o, arg: argBytes}
	p, readyData, err := spawn.Start(ctx, spawn.Config{Kind: name, Bootstrap: boot.encode()})
	if err != nil {
		key.release()
		if ce, ok := errors.AsType[*spawn.ChildError](err); ok {
			return Ref[A]{}, decodeError(name+" constructor", ce.Data)
		}
		return Ref[A]{}, fmt.Errorf("uactor: Spawn(%q): %w", name, err)
	}
	rd, err := decodeReady(readyData)
	var a address
	if err == nil {
		a, err = parseAddress(rd.addr)
	}
	if err != nil {
		key.release()
		p.Kill()
		<-p.Done()
		return Ref[A]{}, fmt.Errorf("uactor: Spawn(%q): %w", name, err)
	}
	own := &processOwner{p: p, grace: o.grace}
	if o.listen == "" || o.listen == "unix" {
		own.dir = filepath.Dir(a.addr) // private: ours to remove if the child cannot
	}
	h := newHandle(name, rd.id, a, rd.adv, p.PID(), key.key, key.id, o, own, key.release)
	// The owner's first call needs no dial and no handshake: it goes over the
	// socketpair only this process and the actor hold. If that breaks, the
	// ref dials the actor's address like any other.
	h.peer.adopt(newClientConn(p.Conn(), a, &hmac.Session{ActorID: rd.id}, o))
	return Ref[A]{h}, nil
}

// stopMargin is how long a stopping child has, beyond the grace period for
// its calls, to close its connections and exit before it is killed.
const stopMargin = time.Second

// processOwner stops a spawned actor: gracefully, then by force, and always reaps it.
type processOwner struct {
	p     *spawn.Process
	grace time.Duration
	dir   string
}

func (o *processOwner) stop() {
	o.p.Stop(o.grace + stopMargin)
	if o.dir != "" && strings.HasPrefix(filepath.Base(o.dir), "uactor-") {
		os.RemoveAll(o.dir)
	}
}
