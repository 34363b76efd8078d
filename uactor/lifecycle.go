package uactor

import (
	"fmt"
	"sync"
	"syscall"
)

// ExitError says how an owner's actor process ended when the owner did not
// ask it to. errors.Is(err, ErrActorDied) holds for it. It is Err of the
// owner's ref once no restart follows, and a call through that ref then
// fails with it too: a call whose error holds an *ExitError was never sent
// (unlike one in flight at the crash, whose error is ErrActorDied alone).
// Spawn's error holds one for a process that ended before it served.
type ExitError struct {
	PID      int            // the actor process that ended
	ExitCode int            // -1 when a signal ended it
	Signal   syscall.Signal // 0 unless a signal ended it
}

// Error says which process ended, and how.
func (e *ExitError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("uactor: actor process %d killed by signal %d (%v)", e.PID, int(e.Signal), e.Signal)
	}
	return fmt.Sprintf("uactor: actor process %d exited with code %d", e.PID, e.ExitCode)
}

// Is reports whether target is ErrActorDied.
func (e *ExitError) Is(target error) bool { return target == ErrActorDied }

// exitError reads a reaped process's state.
func exitError(pid int, ws syscall.WaitStatus, known bool) *ExitError {
	e := &ExitError{PID: pid, ExitCode: -1}
	switch {
	case !known:
		return e
	case ws.Signaled():
		e.Signal = ws.Signal()
		return e
	}
	e.ExitCode = ws.ExitStatus()
	return e
}

// processEnded is why the owner's connection to an actor's process closed
// once the process was reaped: ErrActorDied for the calls in flight (and
// ErrClosed too after the owner's Close). The supervisor logs how the
// process ended, so the connection's end is no news (see logConnEnd).
type processEnded struct {
	pid    int
	closed bool // the owner's Close ended it
}

func (e *processEnded) Error() string {
	if e.closed {
		return fmt.Sprintf("%v: process %d ended (%v)", ErrActorDied, e.pid, ErrClosed)
	}
	return fmt.Sprintf("%v: process %d ended", ErrActorDied, e.pid)
}

// Is reports whether target is ErrActorDied, or ErrClosed after the owner's Close.
func (e *processEnded) Is(target error) bool {
	return target == ErrActorDied || e.closed && target == ErrClosed
}

// errOwnerClosed is Err after a ref was closed.
var errOwnerClosed = fmt.Errorf("%w by Close", ErrClosed)

// errRefCollected is Err of a decoded ref that no copy was left of: the
// collector closed it, and nothing watches its actor for its Done.
var errRefCollected = fmt.Errorf("%w: no copy of the ref was left, and the collector closed it", ErrClosed)

// life is what Done and Err report for a handle: open until it ends, once.
type life struct {
	once sync.Once
	done chan struct{}
	err  error
}

func newLife() *life { return &life{done: make(chan struct{})} }

// end records why, unless an earlier end already did.
func (l *life) end(err error) {
	l.once.Do(func() {
		l.err = err
		close(l.done)
	})
}

func (l *life) cause() error {
	select {
	case <-l.done:
		return l.err
	default:
		return nil
	}
}

// endedLife stands for the zero Ref: no actor, already over.
var endedLife = func() *life {
	l := newLife()
	l.end(fmt.Errorf("%w: %s", ErrClosed, zeroRef))
	return l
}()

// zeroRef explains the zero Ref to whoever calls through one: typically a
// goroutine that read the ref's variable before Spawn returned, or after
// Spawn failed.
const zeroRef = "zero Ref: it refers to no actor; call through the Ref that Spawn, Connect or Host returned without an error, after it returned"

// Done returns a channel closed once the actor is gone for good, as far as
// this ref can tell; Err then says why.
//
// For the ref Spawn returned (and its copies in this process) it closes once
// the actor's process has exited, been reaped, and no restart follows (see
// Restart): Err is then an *ExitError. After the owner's own Close, Done is
// closed and Err wraps ErrClosed, unless the process had ended on its own
// before the Close (and no restart would have followed): Err is then its
// *ExitError still, though the Close came before the owner had seen the
// process's end. A value served with Host lives as long as
// this process, so Done of the ref Host returned closes at its Close, or
// when this process, an actor's, stops the values it hosts as it stops.
//
// For any other ref, it closes once this process has found the actor gone:
// the actor said it stopped for good (its owner closed it, or it was a
// hosted value whose ref was closed) as it closed the connection, or the
// connection broke and could not be made again within DialTimeout (an
// actor that restarts in time is not gone; a Unix socket whose directory
// its owner removed is gone at once; one that refused it at its
// MaxConnections bound all that time counts as gone too, and Err matches
// ErrBusy as well, unless this process hosts it), another actor now serves
// at its address, or keepalive found it silent; Err then matches
// ErrActorDied.
// Closing such a ref closes Done too, with an Err that wraps ErrClosed,
// since the ref can no longer learn anything. A ref decoded from a message
// is closed so once no copy of it is left and the collector finds it, even
// while its Done channel is waited on: to learn when the actor is gone,
// keep the ref, not only its channel.
func (r Ref[A]) Done() <-chan struct{} {
	if r.h == nil {
		return endedLife.done
	}
	return r.h.life.done
}

// Err returns nil until Done is closed, then the reason (see Done).
func (r Ref[A]) Err() error {
	if r.h == nil {
		return endedLife.err
	}
	return r.h.life.cause()
}
