package uactor

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/keyring"
)

// server serves one actor value on one listener: the same code runs in a
// spawned process and for Host in the current one.
type server struct {
	kind  *kindEntry
	actor any
	id    uuid.UUID
	key   []byte
	keyID keyring.KeyID // what refs name key by, told to clients that prove it
	opts  options
	ln    net.Listener
	addr  address // where it listens
	adv   string  // what refs it hands out name
	dir   string  // private socket directory to remove, if any

	intercept ServerInterceptor // the chain of opts.serverIC; nil for none

	workers  workerPool  // run calls of methods that block, take over readers (workers.go)
	inline   inlineWatch // finds calls run inline that block (inline.go)
	draining atomic.Bool
	calls    sync.WaitGroup // handlers running
	serial   serialQueue    // with Serial, the calls' turns (serial.go)

	fails      *failGate     // spaces out rejections of wrong proofs
	hsLogs     handshakeLogs // bounds the records of failed handshakes
	full       logLimit      // bounds the records of connections refused at MaxConnections
	refused    logLimit      // … of connections refused at MaxHandshakes
	drops      logLimit      // bounds the records of authenticated peers dropped for what they sent
	silentLogs logLimit      // … of peers dropped as silent
	hungUpLogs logLimit      // … of peers dropped as hung up while the reader waited

	mu        sync.Mutex
	hs        map[*hsConn]struct{}  // in their handshake (MaxHandshakes)
	hsRun     chan struct{}         // a token per goroutine in a handshake, evicted ones included (see admission.go)
	penalized map[net.Conn]struct{} // rejected, waiting for their turn to be told
	conns     map[net.Conn]struct{} // authenticated (MaxConnections)
	hungUp    chan struct{}         // while stop waits for its peers to hang up after GOAWAY: closed once conns is empty
	stopping  chan struct{}         // closed when stop begins
	cut       chan struct{}         // closed when stop closes the connections
	done      chan struct{}         // closed when stopped
	once      sync.Once
}

// newServer serves actor as the actor id (zero: a new one) on a listener
// as o says.
func newServer(k *kindEntry, actor any, key []byte, keyID keyring.KeyID, o options, id uuid.UUID) (*server, error) {
	if id == (uuid.UUID{}) {
		id = uuid.New()
	}
	ln, a, dir, err := listenOn(o.listen) // dir, if any, is tracked already (makeLockedDir)
	if err != nil {
		return nil, err
	}
	s := &server{
		kind: k, actor: actor, id: id, key: key, keyID: keyID, opts: o,
		ln: ln, addr: a, adv: a.String(), dir: dir, intercept: chainServer(o.serverIC),
		fails: newFailGate(), hs: map[*hsConn]struct{}{}, hsRun: make(chan struct{}, twiceSat(o.maxHS)), penalized: map[net.Conn]struct{}{},
		conns: map[net.Conn]struct{}{}, stopping: make(chan struct{}), cut: make(chan struct{}), done: make(chan struct{}),
	}
	if o.advertise != "" {
		adv, err := advertised(o.advertise, a)
		if err != nil {
			ln.Close()
			s.removeDir()
			return nil, err
		}
		s.adv = adv
	}
	go s.acceptLoop()
	return s, nil
}

func (s *server) acceptLoop() {
	var backoff time.Duration
	for {
		select { // room for one more handshake goroutine, or wait in the kernel's backlog
		case s.hsRun <- struct{}{}:
		case <-s.stopping:
			return
		}
		nc, err := s.ln.Accept()
		if err != nil {
			<-s.hsRun
			if s.draining.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: wait, rather than spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		hc := s.admit(nc)
		if hc == nil {
			<-s.hsRun
			if s.draining.Load() {
				return
			}
			s.logRefused()
			continue
		}
		go s.serveConn(hc)
	}
}

// track admits the owner's connection, unless the actor is stopping. It
// counts toward MaxConnections for those that come after, but is never
// refused by it: the actor listens before its process serves the owner,
// and key holders (refs reconnecting to a restarting actor at a fixed
// address) may take every slot in between.
func (s *server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.conns[nc] = struct{}{}
	return true
}

// beginCall counts a call in, unless the server is draining. Taking mu orders
// every Add before stop's Wait, as sync.WaitGroup requires.
func (s *server) beginCall() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.calls.Add(1)
	return true
}

func (s *server) untrack(nc net.Conn) {
	s.mu.Lock()
	delete(s.conns, nc)
	if len(s.conns) == 0 && s.hungUp != nil {
		close(s.hungUp)
		s.hungUp = nil
	}
	s.mu.Unlock()
	nc.Close()
}

// stop stops accepting, answers new calls with ErrClosed, lets handlers in
// flight finish within the grace period, then cancels them and closes every
// connection.
func (s *server) stop() { s.stopWithin(s.opts.grace) }

// stopWithin is stop with grace as the grace period.
func (s *server) stopWithin(grace time.Duration) {
	s.once.Do(func() {
		defer untrackHosted(s)
		s.mu.Lock()
		s.draining.Store(true) // under mu: no beginCall can Add after this
		hs := s.hs
		s.hs = map[*hsConn]struct{}{}
		s.mu.Unlock()
		close(s.stopping)
		s.ln.Close()
		for hc := range hs {
			hc.Close()
		}
		graceEnd := time.Now().Add(grace)
		idle := make(chan struct{})
		go func() { s.calls.Wait(); close(idle) }()
		t := time.NewTimer(grace)
		select {
		case <-idle:
		case <-t.C:
		}
		t.Stop()
		held := s.sendHeld(graceEnd)
		// After every answer written or held: the actor is gone for good.
		drainEnd := time.Now().Add(goAwayDrain)
		s.sayGoAway(held, drainEnd)
		close(s.cut) // readers waiting for a connection to drain give up
		s.waitHungUp(drainEnd)
		s.mu.Lock()
		for nc := range s.conns {
			nc.Close() // and so its calls' contexts are cancelled
		}
		for nc := range s.penalized {
			nc.Close()
		}
		s.mu.Unlock()
		for _, c := range held {
			c.w.KickContext(frame.NoWait) // what is still queued fails now, and sendHeld's waiter ends
		}
		s.removeDir()
		s.workers.close()
		close(s.done)
	})
	<-s.done
}

// sendHeld sends the answers that connections hold back to go out with
// their reader's next write: their calls count as done already. It starts
// each write without waiting on a peer that does not read, then waits for
// them to leave until end at most. It returns the connections.
func (s *server) sendHeld(end time.Time) []*serverConn {
	cs := s.inline.served()
	for _, c := range cs {
		c.w.KickContext(frame.NoWait)
	}
	waitSent(cs, end)
	return cs
}

// waitSent waits until the Writer of each of cs is empty or has failed
// (closing its connection fails it), or until end.
func waitSent(cs []*serverConn, end time.Time) {
	sent := make(chan struct{})
	go func() {
		for _, c := range cs {
			c.w.WaitBelow(1)
		}
		close(sent)
	}()
	t := time.NewTimer(time.Until(end))
	defer t.Stop()
	select {
	case <-sent:
	case <-t.C:
	}
}

func (s *server) removeDir() { removeDir(s.dir) }

// hostedServers are the values this process serves with Host, until their
// Close. An actor's process stops them once the actor's own calls are done
// (stopProcess): a value the actor hands out (uActor's result proxy) is
// part of it, and its calls in flight get what is left of the grace period.
// Each maps to the life of the ref Host returned, which ends then.
var hostedServers struct {
	sync.Mutex
	m      map[*server]*life
	closed bool // stopHosted has begun: Host fails with ErrClosed
}

// errHostClosed is why Host fails in an actor's process once that has
// stopped the values it hosts: one served then would not be stopped
// gracefully, but cut off as the process exits.
var errHostClosed = fmt.Errorf("%w: this actor's process is stopping, and has stopped the values it hosts", ErrClosed)

// trackHosted tracks s, whose ref's life is l, unless stopHosted has
// begun: then it reports false, and s is left for its caller to stop.
func trackHosted(s *server, l *life) bool {
	hostedServers.Lock()
	defer hostedServers.Unlock()
	if hostedServers.closed {
		return false
	}
	if hostedServers.m == nil {
		hostedServers.m = map[*server]*life{}
	}
	hostedServers.m[s] = l
	return true
}

// hostedHere reports whether this process hosts (Host) the actor id, and
// is not stopping it.
func hostedHere(id uuid.UUID) bool {
	hostedServers.Lock()
	defer hostedServers.Unlock()
	for s := range hostedServers.m {
		if s.id == id && !s.draining.Load() {
			return true
		}
	}
	return false
}

func untrackHosted(s *server) {
	hostedServers.Lock()
	delete(hostedServers.m, s)
	hostedServers.Unlock()
}

// closeHostedListeners closes the listeners of the values this process
// hosts, which removes their sockets: for a process that exits without
// stopping them (an actor whose owner is gone), so that a socket at a path
// of the caller's choice does not keep its address taken.
func closeHostedListeners() {
	hostedServers.Lock()
	defer hostedServers.Unlock()
	for h := range hostedServers.m {
		h.ln.Close()
	}
}

// stopProcess stops an actor's server within its grace period, or grace
// if that is shorter and not negative (the owner's, when the owner is
// itself stopping: the rest of its own): no new calls, calls in flight
// finish or are cancelled. Then it stops every value its process hosts,
// within what is left of the grace period (or a hosted value's own, if
// shorter), and then the actors the process spawned, within what is left
// after that (or their own, if shorter): each only then, as the calls that
// just ended may have used them, and Close promised those calls the grace
// period. A hosted value thus takes calls until the actor's own are done.
// The owner kills this process at deadline: the spawned actors that have
// not exited are killed nestedMargin before it, so that this process has
// reaped them and exited by then.
func stopProcess(main *server, grace time.Duration, deadline time.Time) {
	grace = stopGrace(grace, main.opts.grace)
	graceEnd := time.Now().Add(grace)
	main.stopWithin(grace)
	stopHosted(time.Until(graceEnd))
	stopSpawned(time.Until(graceEnd), deadline.Add(-nestedMargin))
}

// stopGrace is the grace period a stop record's grace gives a process whose
// own is own: the shorter, unless the record named none (grace < 0).
func stopGrace(grace, own time.Duration) time.Duration {
	if grace < 0 || grace > own {
		return own
	}
	return grace
}

// stopDeadline is when the owner kills a process that a stop record told,
// at now, grace and wait (each -1 if it named none), and whose own grace
// period is own: after wait, or else as an owner's stop does, stopMargin
// after the grace period.
func stopDeadline(now time.Time, grace, wait, own time.Duration) time.Time {
	if wait < 0 {
		wait = addSat(stopGrace(grace, own), stopMargin)
	}
	return now.Add(wait)
}

// stopHosted stops every value this process hosts, at once, each within
// its own grace period or grace, if shorter, and waits until they are.
// From then on, Host in this process fails (errHostClosed).
func stopHosted(grace time.Duration) {
	hostedServers.Lock()
	hostedServers.closed = true
	hosted := maps.Clone(hostedServers.m)
	hostedServers.Unlock()
	grace = max(grace, 0)
	var wg sync.WaitGroup
	for h, l := range hosted {
		wg.Go(func() {
			h.stopWithin(min(h.opts.grace, grace))
			l.end(errHostClosed) // the ref Host returned: its actor is gone
		})
	}
	wg.Wait()
}
