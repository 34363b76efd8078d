package uactor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/internal/spawn"
)

// Main must be the first statement of main (and of TestMain) in every binary
// that spawns actors. In a process that Spawn started, it runs the actor and
// never returns; anywhere else it returns at once.
func Main() {
	mainRan.Store(true)
	if _, child := spawn.ChildKind(); !child {
		return
	}
	os.Exit(runChild())
}

// runChild is the whole life of a spawned actor's process.
func runChild() int {
	ch, err := spawn.OpenChild()
	if err != nil {
		fmt.Fprintln(os.Stderr, "uactor:", err)
		return 2
	}
	if ch.Kind == "" { // a standby: say it is up, then wait to be given an actor
		if ch.Warm() != nil {
			return 2
		}
	}
	data, err := ch.Bootstrap()
	if err != nil {
		if ch.Kind == "" {
			return 3 // a standby whose parent is gone (EOF) or that was told to go (SIGTERM)
		}
		return 2 // the parent is gone or is not a uactor parent
	}
	boot, err := decodeBootstrap(data)
	if err != nil {
		ch.Fail(appendError(nil, codeHandler, err))
		return 2
	}
	inheritTreeKey(boot.treeKey, boot.treeKeyID)
	heldKeys.AddAs(boot.key, boot.keyID) // held for the life of the process
	// The owner made boot.dir and removes it once the actor is gone for
	// good (not while it restarts); this process removes it if the owner
	// is gone, or has asked it to stop, which ends the actor for good (no
	// restart follows a Close): an owner killed as it closes the actor,
	// a call in flight, ends that call, and so may end the stop, before
	// this process has read EOF. What this process made, it removes
	// however it ends. exiting orders the ways out (this return and
	// onOrphan's exit), so that neither cuts the other's removals short.
	ownerDir = boot.dir
	var exiting sync.Mutex
	var stopAsked atomic.Bool // the owner sent its stop record
	defer func() {
		exiting.Lock() // held until the process exits
		if stopAsked.Load() || ch.ParentGone() {
			removeDir(boot.dir)
		}
		removeAllDirs()
	}()
	k := lookupKind(boot.kind)
	if k == nil || k.late || (ch.Kind != "" && boot.kind != ch.Kind) {
		ch.Fail(appendError(nil, codeHandler, fmt.Errorf(
			"kind %q is not defined in this binary (declare it with uactor.Define in a package-level var)", boot.kind)))
		return 2
	}

	var stopping sync.Once
	stopped := make(chan struct{})
	var deadline time.Time // when the owner kills this process: set before stopped closes
	var srv atomic.Pointer[server]
	// From here on, the parent's death ends this process whatever it is doing.
	ch.Watch(func(grace, wait time.Duration) {
		stopAsked.Store(true)
		stopping.Do(func() {
			deadline = stopDeadline(time.Now(), grace, wait, boot.opts.grace)
			if s := srv.Load(); s != nil {
				stopProcess(s, grace, deadline) // the actor and the values it hosts
			}
			close(stopped)
		})
	}, func(ownerGone bool) {
		if !ownerGone && stopAsked.Load() {
			// A SIGTERM (a service manager's, to the whole process
			// group, say) while the owner, alive, stops this process:
			// its stop lets the calls in flight finish within the grace
			// it gave, and it kills this process if it overstays.
			return
		}
		exiting.Lock() // held until the process exits
		// A SIGTERM from anyone but the owner's death leaves boot.dir to
		// the owner, which may restart the actor in it: refs that find it
		// gone would give the actor up.
		if ownerGone {
			removeDir(boot.dir)
		}
		removeAllDirs()
		if s := srv.Load(); s != nil {
			s.ln.Close() // a socket at a path the owner chose goes too
		}
		closeHostedListeners() // and those of the values the actor hosts
		if !ownerGone {
			// Someone else's SIGTERM ended the actor: end by it, now that
			// what must go is gone, so that the owner's ExitError names the
			// signal rather than an exit code of this package's choosing.
			signal.Reset(syscall.SIGTERM)
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			time.Sleep(time.Second)
		}
		os.Exit(3)
	})

	// What cannot travel through the bootstrap comes from the kind's
	// declaration, which ran in this process too.
	boot.opts.serverIC, boot.opts.clientIC = k.opts.serverIC, k.opts.clientIC
	if boot.kindLogger {
		boot.opts.logger = k.opts.logger
	}
	ctx, cancel := constructContext(boot.deadline)
	defer cancel()
	actor, err := construct(ctx, k, boot.arg)
	if err != nil {
		code := codeHandler
		if _, bad := err.(requestError); bad {
			code = codeDecode // the argument did not decode: ErrDecode for the owner
		} else if errors.Is(err, ErrPanic) {
			code = codePanic // so that the owner's error is ErrPanic too
		}
		ch.Fail(appendError(nil, code, err))
		return 1
	}
	s, err := newServer(k, actor, boot.key, boot.keyID, boot.opts, boot.id)
	if err != nil { // not the constructor's failure: say so (a port in use, say)
		ch.Fail(appendError(nil, codeServe, err))
		return 1
	}
	srv.Store(s)
	if ch.Conn != nil {
		s.serveOwner(ch.Conn)
	}
	if h := testHookBeforeReady; h != nil {
		h()
	}
	if err := ch.Ready(ready{addr: s.addr.String(), adv: s.adv, id: s.id}.encode()); err != nil {
		s.stop()
		return 1
	}
	<-stopped
	// What this actor's own actors wrote so far reaches its owner before
	// this process, which relays it, ends: by the owner's deadline, less a
	// little to exit in.
	spawn.FlushOutput(min(outputFlushWait, time.Until(deadline)-nestedMargin/2))
	return 0
}

// testHookBeforeReady, if set, runs in an actor's process once it listens,
// before it reports ready: a test's child sets it (before Main) to hold
// there, so that its owner's start ends in that window.
var testHookBeforeReady func()

// outputFlushWait bounds how long a stopping actor's process waits for the
// output of the actors it started to be passed on.
const outputFlushWait = time.Second

// constructContext returns the constructor's context: with the deadline
// of the owner's start, if it had one (zero: none), as the owner kills the
// process then, so that a constructor that heeds its context gives up by
// it rather than be killed.
func constructContext(deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return context.WithCancel(context.Background())
	}
	return context.WithDeadline(context.Background(), deadline)
}

// construct runs the kind's constructor, turning a panic into an error.
func construct(ctx context.Context, k *kindEntry, arg []byte) (a any, err error) {
	// returned, not recover's result, tells a panic from a return: under
	// GODEBUG=panicnil=1 a panic(nil) recovers as nil, and the actor would
	// be served as a nil value whose every call panics.
	returned := false
	defer func() {
		if r := recover(); !returned {
			a, err = nil, fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	a, err = k.construct(ctx, arg)
	returned = true
	return a, err
}
