package uactor

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
)

// Kind is a named actor type: how to build an actor of type A from a spawn
// argument of type Arg, and the methods it exposes. Declare kinds in
// package-level vars, so that a re-executed child process, and any other
// binary that declares the same kind, can build them by name.
type Kind[A, Arg any] struct {
	entry *kindEntry
	opts  options
	arg   *codec[Arg]
}

// kindEntry is what the process knows of a kind, untyped, by name.
type kindEntry struct {
	name      string
	actor     reflect.Type // A of Kind[A, Arg]: what a Ref to one of its actors is of
	late      bool         // defined after Main ran: a child process cannot know it
	construct func(ctx context.Context, arg []byte) (any, error)
	opts      *options // the kind's defaults: for refs decoded from messages, and what cannot travel to a child

	mu      sync.RWMutex
	methods map[string]*methodEntry
}

// methodEntry is one method of a kind, untyped: it decodes the request,
// runs the method on an actor and returns the encoded response: appended to
// *out (which it may grow), or, for []byte and string, the value's own bytes.
type methodEntry struct {
	name string
	late bool
	// invoke decodes req (which it may keep if owned: see frame.Buffer.Own),
	// runs the method (wrapped by ic, if not nil; addr is the address the
	// actor's refs name, for CallInfo) and encodes its response, in out if
	// it needs space. ch, set whenever ic is, is taken by each run of the
	// handler, which may outlive the call's answer (callhold.go).
	invoke func(ctx context.Context, actor any, req []byte, owned bool, out *[]byte, ic ServerInterceptor, addr string, ch *callHold) ([]byte, error)
	// lends: the request is a Lent, which invoke decodes without copying
	// and whose array goes back for reuse once the answer is out and the
	// handler has returned.
	lends  bool
	blocks atomic.Bool // a call of it blocked its connection's reader once (inline.go)
}

var (
	mainRan atomic.Bool // Main has been called in this process
	kinds   sync.Map    // name -> *kindEntry
)

// Define declares a kind named name. newActor runs inside the actor's own
// process with the argument given to Spawn, and a ctx with the deadline of
// Spawn's ctx (for a restart, the one Restart gives it), if it had one:
// the owner kills a process whose constructor has not returned by then.
// That ctx ends at that deadline even after newActor has returned, so work
// that outlives newActor takes a context of its own. Its metadata does
// not travel. opts are the kind's default options. Define panics if the
// name is empty, taken or reserved (names that begin with "uactor." are
// the library's), if it holds a NUL byte (which a process's command line
// and environment, where a spawned actor finds its kind, cannot), if
// newActor is nil, or if Arg cannot travel between processes (the message
// says what to implement).
func Define[A, Arg any](name string, newActor func(ctx context.Context, arg Arg) (A, error), opts ...Option) *Kind[A, Arg] {
	if name == "" || strings.HasPrefix(name, "uactor.") {
		panic(fmt.Sprintf("uactor: Define: kind name %q is empty or reserved", name))
	}
	if strings.IndexByte(name, 0) >= 0 {
		panic(fmt.Sprintf("uactor: Define: kind name %q holds a NUL byte, which no process's command line can", name))
	}
	if newActor == nil {
		panic(fmt.Sprintf("uactor: Define(%q): newActor is nil", name))
	}
	argc := mustCodec[Arg](fmt.Sprintf("uactor: Define(%q)", name), "spawn argument")
	e := &kindEntry{
		name:    name,
		actor:   reflect.TypeFor[A](),
		late:    mainRan.Load(),
		methods: map[string]*methodEntry{},
		construct: func(ctx context.Context, b []byte) (any, error) {
			arg, err := argc.decode(b)
			if err != nil {
				return nil, requestError{fmt.Errorf("spawn argument: %w", err)}
			}
			return newActor(ctx, arg)
		},
	}
	o := defaultOptions().with(opts)
	e.opts = &o
	if _, dup := kinds.LoadOrStore(name, e); dup {
		panic(fmt.Sprintf("uactor: Define: kind %q defined twice", name))
	}
	return &Kind[A, Arg]{entry: e, opts: o, arg: argc}
}

// Name returns the kind's name.
func (k *Kind[A, Arg]) Name() string { return k.entry.name }

func lookupKind(name string) *kindEntry {
	e, ok := kinds.Load(name)
	if !ok {
		return nil
	}
	return e.(*kindEntry)
}

func (k *kindEntry) method(name string) *methodEntry {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.methods[name]
}
