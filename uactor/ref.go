package uactor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/addr"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/keyring"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Ref is a handle on a live actor of type A: uActor's proxy. It is a small
// value: copy it freely, put it in requests and responses (it implements
// encoding.BinaryAppender, and *Ref encoding.BinaryUnmarshaler; and, as a
// field of a struct whose codec msgp generated, MarshalMsg, UnmarshalMsg
// and Msgsize), and hand it to other processes. The zero Ref refers to no
// actor: its Done is closed, and its Err and every call through it match
// ErrClosed; its Close does nothing.
type Ref[A any] struct{ h *handle }

// handle is what a Ref and its copies share.
type handle struct {
	kind    string
	id      uuid.UUID
	addr    address // where this process reaches the actor
	adv     string  // the address refs to it carry to other processes
	pid     int
	keyID   keyring.KeyID // what refs to the actor name its key by
	peer    *peer
	owner   owner  // nil unless this ref started the actor
	life    *life  // what Done and Err report
	release func() // drops what the ref holds (peer, key, captures)

	callTimeout time.Duration     // CallTimeout
	intercept   ClientInterceptor // the chain of ClientInterceptors; nil for none

	closeOnce sync.Once
	closed    atomic.Bool
}

// owner stops an actor that a ref owns: a spawned process or a hosted server.
type owner interface{ stop() }

// supervising is an owner that also keeps the actor's process alive (a
// *supervisor): it decides what Done reports, which connection calls take,
// and which process PID names.
type supervising interface {
	owner
	life() *life
	conn(ctx context.Context, fallback *peer) (*clientConn, error)
	pid() int
}

// newHandle makes a handle on the actor reached at a and named adv in refs
// handed to other processes. extra runs on release.
func newHandle(kind string, id uuid.UUID, a address, adv string, pid int, key []byte, keyID keyring.KeyID, o options, own owner, extra ...func()) *handle {
	p := acquirePeer(a, key, id, o)
	h := &handle{kind: kind, id: id, addr: a, adv: adv, pid: pid, keyID: keyID, peer: p, owner: own,
		callTimeout: o.callTimeout, intercept: chainClient(o.clientIC)}
	switch s := own.(type) {
	case supervising:
		h.life = s.life()
	case nil: // the actor lives elsewhere: the connection tells when it is gone
		h.life = newLife()
		p.watch(h.life)
	default:
		h.life = newLife()
	}
	l := h.life
	var once sync.Once
	h.release = func() {
		once.Do(func() {
			p.unwatch(l)
			p.release()
			for _, f := range extra {
				f()
			}
		})
	}
	return h
}

// Address returns the address this process reaches the actor at: uActor's
// connection_address, such as "tcp://0.0.0.0:37255" or "unix:///tmp/uactor-…/actor.sock".
func (r Ref[A]) Address() string {
	if r.h == nil {
		return ""
	}
	return r.h.addr.String()
}

// Advertised returns the address this ref carries to other processes when
// it travels: the one the actor was given with Advertise (its port filled
// in), or else the one it listens on. Register this one with a registry.
// A ref from Connect carries the address dialled instead where the actor
// names one on all interfaces (it listens on 0.0.0.0 without Advertise),
// or one that a ref's decoder would refuse.
func (r Ref[A]) Advertised() string {
	if r.h == nil {
		return ""
	}
	return r.h.adv
}

// PID returns the actor's process id. For the ref Spawn returned it is the
// current process's, which changes when the actor restarts; for any other
// ref (a copy, or Connect's) it is the id its ref was made with, which a
// restart since leaves stale: ask the owner for the current one.
func (r Ref[A]) PID() int {
	if r.h == nil {
		return 0
	}
	if s, ok := r.h.owner.(supervising); ok {
		return s.pid() // the current process: it changes when the actor restarts
	}
	return r.h.pid
}

// Close releases the ref. For the ref Spawn (or Host) returned, it stops the
// actor: no new calls are accepted, calls in flight may finish within the
// grace period (GracePeriod), then the process is killed if need be, and
// always reaped. The actors a spawned actor spawned in turn are stopped
// the same way once its own calls are done, within what is left of its
// grace period (or their own, if shorter). For any other ref it drops this
// process's hold on the connection, leaving the actor running. Close is
// idempotent; calls through the ref (and copies of the Ref value, which
// share it) fail with ErrClosed afterwards, as do those in flight that it
// ends (a spawned actor's match ErrActorDied too: its process ended under
// them), and Done is closed, with an Err that wraps ErrClosed unless the
// actor had died before.
// A connection ends with the last ref in this process that holds it:
// a call in flight through a ref whose connection another ref still holds
// is not ended by Close, and runs on to its answer; cancel its context to
// end it. Refs with the same connection options (see Connect) share one
// if they came alike: those Connect returned for one address share one,
// and those decoded from messages, with the ref Host returned, share
// another per actor. A Connect ref and a ref decoded from it do not (the
// one names whichever actor serves there, the other one actor), so that
// closing the Connect ref ends its calls in flight. The calls of the ref
// Spawn returned go over a connection of its own.
//
// A handler of a hosted value that closes the value's own ref is one of
// the calls in flight that Close waits for: it would wait out the whole
// grace period, and its caller would get no answer. Such a handler closes
// the ref in a goroutine of its own (go r.Close()), so that it returns
// and its answer goes out before the actor stops.
func (r Ref[A]) Close() error {
	if r.h == nil {
		return nil
	}
	r.h.close()
	return nil
}

func (h *handle) close() {
	h.closeOnce.Do(func() {
		h.closed.Store(true)
		if h.owner != nil {
			h.owner.stop()
		}
		h.life.end(errOwnerClosed)
		h.release()
	})
}

func (h *handle) roundTrip(ctx context.Context, method string, prefix, req []byte) (*frame.Buffer, error) {
	if h.closed.Load() {
		return nil, errorf("uactor: %s: %w", method, ErrClosed)
	}
	// A call that will not be sent fails before it looks for a connection,
	// which may mean a dial: to an actor that may not even be there.
	if err := metadataOf(ctx).check(); err != nil {
		return nil, errorf("uactor: %s: %w", method, err)
	}
	s, supervised := h.owner.(supervising)
	if h.owner != nil && !supervised {
		// The ref Host returned, whose process stopped the value it
		// hosts (stopHosted), its socket removed: the call fails as Err
		// says, as one through a spawned actor's owner ref does, rather
		// than with the dial of a socket that is gone.
		if err := h.life.cause(); err != nil {
			return nil, errorf("uactor: %s: %w", method, err)
		}
	}
	for sends := 1; ; sends++ {
		var c *clientConn
		var err error
		if supervised {
			c, err = s.conn(ctx, h.peer)
		} else {
			c, err = h.peer.conn(ctx)
		}
		if err != nil {
			// The owner's Close may have ended the actor since the call
			// began, and its peer found it gone: ErrClosed too (below).
			return nil, h.closedToo(errorf("uactor: %s: %w", method, err))
		}
		if c.actorID != h.id && h.id != (uuid.UUID{}) {
			return nil, errorf("uactor: %s: %w: %s now serves actor %s, not %s", method, ErrWrongActor, h.addr, c.actorID, h.id)
		}
		buf, err := c.roundTrip(ctx, method, prefix, req)
		// A decoded ref that its caller drops as it calls must outlive the
		// call: its cleanup would release the connection under it.
		runtime.KeepAlive(h)
		if err != nil && !supervised && endsActor(err) {
			// Keepalive found the actor silent, or it said GOAWAY, which
			// ends its refs' lives: the peer learns it before the call
			// returns, as it would a moment later from the connection's
			// end, so that Done is closed by then and the next call fails
			// rather than redialling.
			h.peer.broke(c, err)
		}
		// The call found the connection dead before any of it was sent
		// (the actor's process died since the last call, and usable's
		// probe had no cause to look): the actor never saw it, so it goes
		// again, as a call made a moment later would. The owner's ref
		// waits for the restart and goes to the next process; a copy
		// redials, which waits for a restart too, or finds the actor gone.
		// Not through a ref closed meanwhile, whose Close may be what cut
		// the connection: the call ends as closed (below). (err is tested
		// first: errors.As's target escapes, so asking it of every call
		// would cost each an allocation.)
		if err != nil && sends < maxSends && ctx.Err() == nil && !h.closed.Load() && errors.As(err, new(notSent)) {
			continue
		}
		if err != nil && c.broken.Load() {
			err = h.closedToo(err)
		}
		return buf, err
	}
}

// closedToo makes err, a call's error, match ErrClosed as well if h is an
// owner's ref that was closed: the owner's own Close ended the actor under
// the call (at the grace period's end, say), and the call fails as the
// calls after it do.
func (h *handle) closedToo(err error) error {
	if h.owner != nil && h.closed.Load() && !errors.Is(err, ErrClosed) {
		return errorf("%w (%w)", err, ErrClosed)
	}
	return err
}

// maxSends bounds how often a ref sends a call that reached no process:
// each time, a connection died under it, and the restart budget (or, for a
// copy, the redial's DialTimeout) bounds those too.
const maxSends = 4

// maxPID bounds a process id read from a peer: ids fit in 31 bits on every
// system, so a larger number names no process, and past an int's range it
// turns negative, which names a process group, or every process, to a
// caller that signals PID().
const maxPID = 1<<31 - 1

// refVersion leads a ref's binary form.
const refVersion = 2

// AppendBinary implements encoding.BinaryAppender: the ref's kind, actor
// id, address, process id and key id: a random name for the key, which
// reveals nothing about it (see keyring.KeyID).
func (r Ref[A]) AppendBinary(b []byte) ([]byte, error) {
	if r.h == nil {
		return append(b, 0), nil
	}
	h := r.h
	b = append(b, refVersion)
	b = wire.AppendString(b, h.kind)
	b = append(b, h.id[:]...)
	b = wire.AppendString(b, h.adv)
	b = wire.AppendUvarint(b, uint64(r.PID()))
	return append(b, h.keyID[:]...), nil
}

// refBinaryMax is an upper bound on the length of h's AppendBinary form.
func refBinaryMax(h *handle) int {
	return 1 + 3*binary.MaxVarintLen64 + len(h.kind) + len(h.id) + len(h.adv) + len(h.keyID)
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (r Ref[A]) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler. It looks the ref's
// key id up in this process's keyring, which knows the ids of the keys this
// process gave (Spawn, Host) and those it learned in handshakes with actors
// it reached with a key, for as long as a ref that reached them (Connect's,
// and the refs it holds) or names that id is held, and only while this
// process holds the key itself: a decoded ref holds the id, not the key,
// which only Spawn, Host and Connect teach a process, so once the last of
// their refs with it is closed, refs naming its ids no longer decode, even
// while a decoded ref naming one is held. A ref whose key id is not among
// them fails with *AuthKeyError, whether or not this process happens to
// hold the key under another id. An address captured by Connect
// (see Capture) is rewritten to the connected one. A ref to an actor of a
// kind that this process defines with an actor type other than A fails
// with ErrDecode: its calls would reach the wrong kind of actor. So does
// one naming the zero actor id, or a relative socket path, which no
// process writes: its calls would reach whichever actor serves at its
// address, or a socket named against this process's working directory.
// And so does one whose address no process writes either: over 1024
// bytes, a socket path holding a NUL, or TCP port 0.
func (r *Ref[A]) UnmarshalBinary(b []byte) error {
	if len(b) == 1 && b[0] == 0 {
		*r = Ref[A]{}
		return nil
	}
	if len(b) == 0 || b[0] != refVersion {
		return fmt.Errorf("%w: ref: unknown version", ErrDecode)
	}
	rd := wire.NewReader(b[1:])
	kind := rd.String()
	var id uuid.UUID
	copy(id[:], rd.Raw(16))
	addrStr := rd.String()
	pid := rd.Uvarint()
	var keyID keyring.KeyID
	copy(keyID[:], rd.Raw(len(keyID)))
	if err := rd.Close(); err != nil {
		return errorf("%w: ref: %w", ErrDecode, err)
	}
	if pid > maxPID {
		return errorf("%w: ref: process id %d out of range", ErrDecode, pid)
	}
	if id == (uuid.UUID{}) { // a dial expecting it would take any actor there
		return errorf("%w: ref: no actor id", ErrDecode)
	}
	k := lookupKind(kind)
	if want := reflect.TypeFor[A](); k != nil && k.actor != want {
		return errorf("%w: ref: the actors of kind %q are %v, not %v", ErrDecode, kind, k.actor, want)
	}
	if len(addrStr) > addr.MaxLen { // no process writes one: Advertise refuses it
		return errorf("%w: ref: an address of %d bytes, over %d", ErrDecode, len(addrStr), addr.MaxLen)
	}
	reach, _ := captures.Rewrite(addrStr, id)
	a, err := parseAddress(reach)
	if err != nil {
		return errorf("%w: ref: %w", ErrDecode, err)
	}
	if err := checkRefAddress(a); err != nil {
		return errorf("%w: ref: %w", ErrDecode, err)
	}
	key, forget, ok := heldKeys.Use(keyID)
	if !ok {
		return &AuthKeyError{Address: addrStr}
	}
	// The handle keeps the key to reach its actor, but does not add it to the
	// keyring: only Spawn, Host and Connect teach this process a key.
	o := defaultOptions()
	if k != nil {
		o = *k.opts // the kind's defaults apply to refs received too
	}
	if err := o.validateRef(); err != nil { // Define checks none: say so here, not by hanging later
		forget()
		return errorf("%w: ref: the options of kind %q: %w", ErrDecode, kind, err)
	}
	// The ref holds its key id, so that refs naming it decode while it lives.
	h := newHandle(kind, id, a, addrStr, int(pid), key, keyID, o, nil, forget)
	// A decoded ref is rarely closed by hand: let the collector close it,
	// Done included, which a waiter may hold without the ref.
	runtime.AddCleanup(h, func(c collected) { c.life.end(errRefCollected); c.release() }, collected{h.life, h.release})
	*r = Ref[A]{h}
	return nil
}

// collected is what the collector's clean-up of a decoded ref ends: not
// the handle, which must be unreachable for it to run.
type collected struct {
	life    *life
	release func()
}

// checkRefAddress refuses an address that no actor's ref names, though it
// parses: TCP port 0, which is any port to listen on, and dialled would
// fail only after DialTimeout; and a relative socket path, which read
// against this process's working directory would name another socket than
// the one its writer meant.
func checkRefAddress(a address) error {
	if _, port, _ := net.SplitHostPort(a.addr); a.network == "tcp" && port == "0" {
		return fmt.Errorf("%s names port 0", a)
	}
	if a.network == "unix" && addr.RelativeSocket(a.addr) {
		return fmt.Errorf("socket path %q is not absolute", a.addr)
	}
	return nil
}
