package uactor

import (
	"context"
	"errors"
	"net"
	"net/netip"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/addr"
	"github.com/uactor-go/uactor/internal/keyring"
)

// Connect returns a ref to the actor of kind k that serves at address, which
// this process did not start: "host:port" or "tcp://host:port" for TCP,
// "unix:///path" for a Unix socket (a relative path is read against the
// working directory when Connect is called, and the ref names it absolute,
// as Listen's is). It dials, authenticates with authkey, and checks that the
// actor is of kind k. Closing the ref disconnects and leaves the actor
// running. While the ref is open, this process holds authkey in its keyring
// under the id the actor knows it by, so refs that name that id decode (the
// actor's, and those of the other actors keyed with it from the same
// source); a ref to an actor whose owner was given the same key apart names
// another id, and decodes once a Connect reaches that actor (see
// Ref.UnmarshalBinary). It holds the captures given with Capture too; so a
// ref that is dropped unclosed keeps them, and its connection, until the
// process exits: Close it when done. The kind's default options
// (given to Define) apply, then opts; refs share a connection only if their
// connection options (sealing, frame size, timeouts, keepalive, in-flight
// bound, ConnBuffer, compression, spinning, logger) have the same effect:
// an option given its default value is the same as none.
func Connect[A, Arg any](ctx context.Context, k *Kind[A, Arg], address string, authkey []byte, opts ...Option) (Ref[A], error) {
	abs, err := absSocket("Connect", address)
	if err != nil {
		return Ref[A]{}, errorf("uactor: %w", err)
	}
	a, err := parseAddress(abs)
	if err != nil {
		return Ref[A]{}, err
	}
	if len(authkey) == 0 {
		return Ref[A]{}, errorf("uactor: Connect(%s): empty authkey: give the key the actor was spawned with (its AuthKey): %w",
			a, &AuthKeyError{Address: a.String()})
	}
	o := k.opts.with(opts)
	if err := o.validate(); err != nil {
		return Ref[A]{}, errorf("uactor: Connect(%s): %w", a, err)
	}
	from := make([]string, len(o.captures))
	for i, c := range o.captures {
		c, err := absSocket("Capture", c)
		if err != nil {
			return Ref[A]{}, errorf("uactor: Connect(%s): %w", a, err)
		}
		ca, err := parseAddress(c)
		if err != nil {
			return Ref[A]{}, errorf("uactor: Connect(%s): Capture: %w", a, err)
		}
		from[i] = ca.named().String() // as Listen's address reads in refs
	}
	key, err := holdKey(ctx, authkey)
	if err != nil {
		return Ref[A]{}, errorf("uactor: Connect(%s): %w", a, err)
	}
	extra := []func(){key.release}
	// The ref names the key by the actor's id for it, learned in the
	// handshake, so that other processes that reached the actor know it.
	h := newHandle(k.entry.name, uuid.UUID{}, a, a.String(), 0, key.key, keyring.KeyID{}, o, nil)
	shared := h.peer.cur.Load() != nil // other refs' connection, which may have outlived its actor unnoticed
	inf, err := fetchInfo(ctx, h)
	if shared && errors.Is(err, ErrActorDied) && !errors.As(err, new(*goneError)) && !errors.Is(err, ErrProtocol) && ctx.Err() == nil {
		// The shared connection broke under the info call: it may have
		// been to an actor whose host vanished unnoticed (behind a
		// partition, say), and another may serve at the address now.
		// Asking again, which is harmless, goes through the reconnect,
		// which finds out: the same actor answers, or it is gone (below).
		inf, err = fetchInfo(ctx, h)
	}
	if errors.As(err, new(*goneError)) {
		// The connection this ref shared had served an actor, broke, and
		// found that actor gone: another may serve there now, and this ref
		// is for whichever does. The gone connection has left the pool, so
		// a new handle dials afresh. (Sharing a reconnect is right
		// otherwise: it retries while the actor restarts.)
		h.close()
		h = newHandle(k.entry.name, uuid.UUID{}, a, a.String(), 0, key.key, keyring.KeyID{}, o, nil)
		inf, err = fetchInfo(ctx, h)
	}
	release := h.release // the ref's key and captures go with the handle that stays
	h.release = func() {
		release()
		for _, f := range extra {
			f()
		}
	}
	if err != nil {
		h.close()
		return Ref[A]{}, err
	}
	if inf.kind != k.entry.name {
		h.close()
		return Ref[A]{}, errorf("uactor: Connect(%s): %w: the actor there is of kind %q, not %q", a, ErrWrongActor, inf.kind, k.entry.name)
	}
	h.id, h.pid, h.keyID = inf.id, inf.pid, inf.keyID
	if len(from) > 0 {
		// With the actor it reached: refs to that actor go there even
		// where another Connect captures the same address (h.release
		// reads extra when it runs).
		extra = append(extra, captures.Add(from, a.String(), inf.id))
	}
	if carriable(inf.advertise) {
		h.adv = inf.advertise
	}
	return Ref[A]{h}, nil
}

// carriable reports whether adv, the address an actor said it names in its
// refs, is one that refs carry: dialable, and one that a ref's decoder
// takes. An actor that names another (only one not built with this
// package could) has its refs from Connect carry the address dialled,
// rather than one that every receiver would refuse.
func carriable(adv string) bool {
	if len(adv) > addr.MaxLen || !dialable(adv) {
		return false
	}
	a, err := parseAddress(adv)
	return err == nil && checkRefAddress(a) == nil
}

// dialable reports whether adv, the address an actor names in its refs, is
// one another process can dial: not an address on all interfaces, which an
// actor listening there without Advertise names, and where the address a
// Connect dialled serves its refs better.
func dialable(adv string) bool {
	a, err := parseAddress(adv)
	if err != nil {
		return false
	}
	if a.network != "tcp" {
		return true
	}
	host, _, err := net.SplitHostPort(a.named().addr) // no host reads 0.0.0.0
	ip, perr := netip.ParseAddr(host)
	return err == nil && (perr != nil || !ip.Unmap().IsUnspecified()) // ::ffff:0.0.0.0 is 0.0.0.0
}
