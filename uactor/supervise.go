package uactor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/internal/spawn"
)

// stopMargin is how long a stopping child has, beyond the grace period for
// its calls, to close its connections and exit before it is killed.
const stopMargin = time.Second

// nestedMargin is how long before its owner kills it a stopping actor's
// process kills the actors it spawned that have not exited: it keeps that
// long to reap them, pass their last output on and exit, so that one stuck
// nested actor does not get its owner killed too, and its owner's, up the
// tree. Each level down keeps its own, out of what its owner left it.
const nestedMargin = stopMargin / 4

// Restart's backoff: none after a process that served for stableAfter, nor
// after the first quick death in a row; then from firstBackoff, doubling
// with each further quick death, up to maxBackoff.
const (
	stableAfter  = time.Second
	firstBackoff = 10 * time.Millisecond
	maxBackoff   = time.Second
)

// restartPolicy is what Restart set; the zero value never restarts.
type restartPolicy struct {
	max    int
	within time.Duration // <= 0: max restarts in all
}

// backoff is the wait before the next start, after quick deaths in a row.
func backoff(quick int) time.Duration {
	if quick <= 1 {
		return 0
	}
	return min(firstBackoff<<min(quick-2, 20), maxBackoff)
}

// supervisor owns a spawned actor: it reaps its process, restarts it as
// the Restart policy allows, gives the owner's calls the current process's
// private connection, and says when the actor is gone for good.
type supervisor struct {
	boot  *bootstrap // every start's, the same: a restart keeps id, key, argument and address
	relay *spawn.Relay
	addr  address // where the actor listens (the same for every start)
	adv   string
	lf    *life

	state atomic.Pointer[supState] // read by every call; replaced under mu

	mu        sync.Mutex
	stopping  bool
	unasked   bool            // the owner's stop found the process exited already: its end was not the stop's doing
	stopGrace time.Duration   // the owner's stop's, once stopping
	killBy    time.Time       // when the owner's stop kills the process, once stopping
	quit      context.Context // cancelled by stop: ends a restart's wait or start
	cancel    context.CancelFunc
	ended     chan struct{} // closed once the actor's life has ended
	spare     *peer         // the peer the owner's calls dial through once the handle's gave the actor up (renewPeer); nil: none

	// Only exited touches these; one process's exit is handled after the
	// previous one's, as each registers the next.
	restarts []time.Time // restarts within the policy's window, if it has one
	lifelong int         // restarts so far, if the window is the actor's life
	quick    int         // exits in a row of processes that lived briefly

	// startLimit bounds each restart's start as Spawn's ctx bounded the
	// first: the time from Spawn to its deadline; 0: it had none.
	startLimit time.Duration
}

// supState is a snapshot: the process serving now (nil while restarting or
// once gone), and, once the actor is gone for good, why.
type supState struct {
	inc     *incarnation
	lastPID int
	final   error
	changed chan struct{} // closed when this state is replaced
}

// incarnation is one process of the actor.
type incarnation struct {
	p       *spawn.Process
	c       *clientConn // the owner's private connection to it
	started time.Time
	sock    os.FileInfo // the Unix socket it listens on, as it started; nil: none (TCP)
}

// supervise starts the actor's first process (with the caller's ctx) and
// watches it.
func supervise(ctx context.Context, boot *bootstrap) (*supervisor, error) {
	out := boot.opts.output
	if out == nil {
		out = os.Stderr
	}
	s := &supervisor{boot: boot, relay: spawn.NewRelay(out, boot.kind, outputPanicLog(&boot.opts, boot.kind)), lf: newLife(), ended: make(chan struct{})}
	if dl, ok := ctx.Deadline(); ok {
		// A restart has no caller whose ctx could end a constructor that
		// never returns: without a bound, calls would wait for it for ever.
		s.startLimit = max(time.Until(dl), time.Nanosecond)
	}
	if spawnClosed() {
		return nil, errorf("uactor: Spawn(%q): %w", boot.kind, errSpawnClosed)
	}
	inc, rd, err := s.start(ctx, false)
	if err != nil {
		// No finish follows a start that failed: Spawn's error ends the
		// actor's life, and Output's writer gets nothing after it either.
		s.closeOutput()
		return nil, err
	}
	s.addr, _ = parseAddress(rd.addr)
	s.adv = rd.adv
	if s.addr.network == "tcp" {
		// A restart listens on the port the first start was given.
		s.boot.opts.listen = pinPort(boot.opts.listen, s.addr)
	}
	s.quit, s.cancel = context.WithCancel(context.Background())
	s.state.Store(&supState{inc: inc, lastPID: inc.p.PID(), changed: make(chan struct{})})
	tracked := trackSpawned(s) // before watch: finish, which untracks it, may run as soon as watch has
	s.watch(inc)
	if !tracked { // stopSpawned began while it started: stop it as Close would, at once
		s.stopWithin(0)
		return nil, errorf("uactor: Spawn(%q): %w", boot.kind, errSpawnClosed)
	}
	return s, nil
}

// start starts one process of the actor and waits until it serves.
func (s *supervisor) start(ctx context.Context, restart bool) (*incarnation, ready, error) {
	name := s.boot.kind
	if restart {
		if err := s.clearAddress(); err != nil {
			return nil, ready{}, errorf("uactor: Spawn(%q): %w", name, err)
		}
	}
	b := *s.boot
	b.deadline, _ = ctx.Deadline() // the constructor's context gets it too
	boot := b.encode()
	if len(boot) > spawn.MaxRecord {
		// The spawn argument, mostly: the child could not read it.
		return nil, ready{}, errorf("uactor: Spawn(%q): argument: %w: bootstrap record of %d bytes, over %d",
			name, ErrTooLarge, len(boot), spawn.MaxRecord)
	}
	sock, before := s.listenPath()
	p, readyData, err := spawn.Start(ctx, spawn.Config{Kind: name, Bootstrap: boot, Output: s.relay})
	if err != nil {
		removeLeftSocket(sock, before) // the process is reaped by now
		if ce, ok := errors.AsType[*spawn.ChildError](err); ok {
			if len(ce.Data) > 0 && ce.Data[0] == codeServe {
				return nil, ready{}, decodeError(name+" listener", ce.Data)
			}
			return nil, ready{}, decodeError(name+" constructor", ce.Data)
		}
		if xe, ok := errors.AsType[*spawn.ExitedError](err); ok {
			// The process ended in its constructor: how, as Err would say
			// for one that ended serving, rather than the EOF its end met.
			return nil, ready{}, errorf("uactor: Spawn(%q): %w before it was ready", name, exitError(xe.PID, xe.Status, xe.Known))
		}
		return nil, ready{}, errorf("uactor: Spawn(%q): %w", name, err)
	}
	rd, err := decodeReady(readyData)
	var a address
	if err == nil {
		a, err = parseAddress(rd.addr)
	}
	if err == nil && rd.id != s.boot.id {
		err = fmt.Errorf("%w: the child serves as actor %s, not %s", ErrProtocol, rd.id, s.boot.id)
	}
	if err != nil {
		p.Kill()
		<-p.Done()
		p.Conn().Close()
		removeLeftSocket(sock, before)
		return nil, ready{}, errorf("uactor: Spawn(%q): %w", name, err)
	}
	nc := p.Conn()
	if h := testHookOwnerConn.Load(); h != nil {
		nc = (*h)(nc)
	}
	c := newClientConn(nc, a, &handshake.Session{ActorID: rd.id, Window: window(s.boot.opts)}, s.boot.opts, true)
	inc := &incarnation{p: p, c: c, started: time.Now()}
	if a.network == "unix" {
		inc.sock, _ = os.Lstat(a.addr)
	}
	return inc, rd, nil
}

// watch has exited handle inc's end; no goroutine waits for it meanwhile.
func (s *supervisor) watch(inc *incarnation) {
	inc.p.OnExit(func() { s.exited(inc) })
}

// exited runs once inc's process has been reaped: it restarts the actor and
// watches the new process, or ends the actor's life.
func (s *supervisor) exited(inc *incarnation) {
	ws, known := inc.p.Status()
	exit := exitError(inc.p.PID(), ws, known)
	if h := testHookExited.Load(); h != nil {
		(*h)(s.boot.kind, exit)
	}
	// Calls in flight fail with ErrActorDied, if the broken socket did
	// not tell them already; never with the *ExitError, which says a
	// call was not sent.
	s.mu.Lock()
	ended := &processEnded{pid: exit.PID, closed: s.stopping && !s.unasked} // the owner's own Close: nothing to warn about
	unasked := s.unasked
	s.mu.Unlock()
	if ended.closed {
		// A process that stopped gracefully wrote its last answers before
		// it ended: they may still wait in the socket for their callers.
		drained(inc.c, drainWait)
	}
	inc.c.close(ended)
	inc.p.Kill() // reaped already: this only closes its end of the bootstrap channel
	inc.removeSocket()
	// Now, not as a restart begins, which its backoff may put off: refs to
	// the values the process hosted would redial their sockets meanwhile.
	s.removeHosted()
	if time.Since(inc.started) < stableAfter {
		s.quick++
	} else {
		s.quick = 0
	}
	var why error = exit
	log, kind := s.boot.opts.log(), s.boot.kind
	for attempt := 0; ; attempt++ {
		ok, stopping := s.mayRestart()
		if attempt == 0 && (!stopping || unasked) {
			log.Warn("uactor: actor process exited", "kind", kind, "pid", exit.PID, "err", exit, "restart", ok)
		}
		if !ok {
			if attempt > 0 && !stopping {
				log.Warn("uactor: actor gone: its restarts failed", "kind", kind, "pid", exit.PID, "err", why)
			}
			s.finish(why)
			return
		}
		select {
		case <-time.After(backoff(s.quick)):
		case <-s.quit.Done():
		}
		next, err := s.restart()
		if err != nil {
			// errors.As still finds the *ExitError that started it all.
			why = errorf("%w (restarting: %w)", exit, err)
			if s.quit.Err() == nil {
				log.Warn("uactor: actor restart failed", "kind", kind, "err", err)
			}
			s.quick++
			continue
		}
		if h := testHookRestarted.Load(); h != nil {
			(*h)(s)
		}
		s.mu.Lock()
		if s.stopping {
			// The owner's stop came as this process started: it is
			// stopped as that stop would have stopped it, within what
			// is left of its time, so that it can stop its own actors.
			wait := max(time.Until(s.killBy), 0)
			grace := min(s.stopGrace, wait)
			s.mu.Unlock()
			next.p.Stop(grace, wait)
			next.c.close(ErrClosed)
			next.removeSocket()
			s.finish(errOwnerClosed)
			return
		}
		s.set(&supState{inc: next, lastPID: next.p.PID()})
		s.mu.Unlock()
		log.Info("uactor: actor restarted", "kind", kind, "pid", next.p.PID(), "after", exit.PID)
		s.watch(next)
		return
	}
}

// restart starts the actor's next process, within startLimit if Spawn's
// ctx had a deadline; the owner's Close ends it at once.
func (s *supervisor) restart() (*incarnation, error) {
	if s.startLimit <= 0 {
		inc, _, err := s.start(s.quit, true)
		return inc, err
	}
	ctx, cancel := context.WithTimeout(s.quit, s.startLimit)
	defer cancel()
	inc, _, err := s.start(ctx, true)
	if err != nil && s.quit.Err() == nil && ctx.Err() != nil {
		// Not ctx's error: a call that waited for the restart, and fails
		// with this, would seem to have run out of its own time.
		err = errorf("uactor: Spawn(%q): restart not serving within %v, the time Spawn's ctx gave the first start",
			s.boot.kind, s.startLimit.Round(time.Millisecond))
	}
	return inc, err
}

// mayRestart takes one restart from the budget if the policy allows one now
// and the owner is not stopping the actor (stopping says whether it is);
// meanwhile, calls wait. A process that had exited before the owner's stop
// began (unasked) is judged by the budget first, as if the stop had come a
// moment later: if none would follow, the actor died before the stop, and
// stopping is false, so that Err is the exit; if one would, the stop ends
// the actor as it would a restart.
func (s *supervisor) mayRestart() (ok, stopping bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping && !s.unasked {
		return false, true
	}
	pol := s.boot.opts.restart
	now := time.Now()
	if pol.within > 0 {
		s.restarts = slices.DeleteFunc(s.restarts, func(t time.Time) bool { return now.Sub(t) >= pol.within })
	}
	switch {
	case pol.max <= 0,
		// A count, not times: "restart for ever" would keep one a crash.
		pol.within <= 0 && s.lifelong >= pol.max,
		pol.within > 0 && len(s.restarts) >= pol.max:
		return false, false
	case s.stopping:
		s.unasked = false // finish: Err wraps ErrClosed
		return false, true
	}
	if pol.within <= 0 {
		s.lifelong++
	} else {
		s.restarts = append(s.restarts, now)
	}
	s.set(&supState{lastPID: s.state.Load().lastPID})
	return true, false
}

// set replaces the state, waking whoever waits on the old one; s.mu is held.
func (s *supervisor) set(st *supState) {
	st.changed = make(chan struct{})
	old := s.state.Swap(st)
	close(old.changed)
}

// finish ends the actor's life for good: why is Err (unless the owner's
// Close got there first, and ended a process that had not exited), its
// directory goes, and ended closes.
func (s *supervisor) finish(why error) {
	s.mu.Lock()
	if s.stopping && !s.unasked {
		why = errOwnerClosed
	}
	s.set(&supState{lastPID: s.state.Load().lastPID, final: why})
	spare := s.spare
	s.spare = nil
	s.mu.Unlock()
	if spare != nil {
		spare.release()
	}
	removeDir(s.boot.dir)
	untrackSpawned(s)
	s.closeOutput()
	s.lf.end(why)
	close(s.ended)
}

// closeOutput closes the actor's relay once no process of the actor's is
// left. One that a process started may still write to its output, and
// lines may still wait for a slow writer: Output's writer gets nothing
// more once Close (or a Spawn that failed) has returned, as its owner
// may close it then.
func (s *supervisor) closeOutput() {
	t := time.NewTimer(outputCloseWait)
	s.relay.Close(t.C)
	t.Stop()
}

// outputCloseWait bounds how long an actor's end waits for a Write of
// Output's writer in progress, beyond the wait of its process's end (see
// Output): a writer that blocks must not hold Close.
const outputCloseWait = 100 * time.Millisecond

func (s *supervisor) life() *life { return s.lf }

func (s *supervisor) pid() int { return s.state.Load().lastPID }

// stop is the owner's Close: a graceful stop of the current process, no
// restart, and the end of the actor's life.
func (s *supervisor) stop() { s.stopWithin(s.boot.opts.grace) }

// stopWithin is stop with grace as the grace period (the process's own, if
// shorter), which the process is told: it is killed if it has not exited
// stopMargin after it.
func (s *supervisor) stopWithin(grace time.Duration) { s.stopBy(grace, addSat(grace, stopMargin)) }

// stopBy is stopWithin with the process killed if it has not exited after
// wait, which the process is told too (see stopProcess).
func (s *supervisor) stopBy(grace, wait time.Duration) {
	s.mu.Lock()
	inc := s.state.Load().inc
	if !s.stopping && inc != nil && inc.p.Exited() {
		// The process ended on its own (a call through the ref may have
		// failed with ErrActorDied as it did), but its end has not been
		// handled yet: Err should say how it ended, as it would had this
		// stop come a moment later, not that the owner closed it.
		s.unasked = true
	}
	s.stopping = true
	s.stopGrace, s.killBy = grace, time.Now().Add(wait)
	s.mu.Unlock()
	s.cancel()
	if inc != nil {
		inc.p.Stop(grace, wait)
	}
	<-s.ended
}

// Test hooks, nil outside tests (atomic: a goroutine that a test left may
// still look at one as the next test sets it). testHookOwnerConn wraps the
// owner's private connection to each process a supervisor starts, and
// testHookDrain runs as drained begins, so that a test can hold a reply
// back from its caller until the process has been reaped; testHookExited
// is told how each reaped process ended; testHookRestarted runs as a
// restarted process is ready, before the supervisor takes it.
var (
	testHookOwnerConn atomic.Pointer[func(net.Conn) net.Conn]
	testHookDrain     atomic.Pointer[func()]
	testHookExited    atomic.Pointer[func(kind string, exit *ExitError)]
	testHookRestarted atomic.Pointer[func(*supervisor)]
)
