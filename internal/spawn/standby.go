package spawn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"syscall"
	"time"
)

// A standby is a child started before anyone asks for it: the binary
// re-executed with no kind, its runtime up and its descriptors open,
// waiting in its first read for a bootstrap record. Start gives the next
// bootstrap to a standby where one waits, and so skips the exec and the
// runtime's start, which are most of a spawn's time; it then starts
// another in the background to take the taken one's place.
var standbys = struct {
	mu       sync.Mutex
	want     int
	gen      int                      // counts Standby's calls: a later call's count replaces an earlier one's
	idle     []*Process               // warm and unclaimed, oldest first
	starting int                      // starts under way, and those in later
	ending   int                      // taken out of idle by a lower count, not yet reaped
	warming  map[*Process]bool        // started, not yet up; true: ended, no longer wanted (endExcessLocked)
	later    map[*time.Timer]struct{} // starts waiting for their time (refillWait)
	err      error                    // the last start's failure, until the next Standby call
	changed  chan struct{}            // closed and replaced when idle, starting or err change
}{later: map[*time.Timer]struct{}{}, warming: map[*Process]bool{}, changed: make(chan struct{})}

// standbyArg follows ArgPrefix in a standby's command line.
const standbyArg = "(standby)"

// warmTimeout bounds how long a standby may take to say it is up.
const warmTimeout = 10 * time.Second

// refillWait is how long a taken standby's replacement waits to start, so
// that its start (an exec and a runtime's start, far more CPU than a call)
// does not compete with the taken one's first calls for the CPU.
const refillWait = 20 * time.Millisecond

// errStale means a standby could not take a bootstrap: it had died.
var errStale = errors.New("spawn: standby gone")

// Standby has n standbys kept waiting from now on, starts those missing,
// ends those beyond n, and returns once n wait, once fewer wait, none is
// starting and a start has failed (with its error), once a later call has
// replaced n, or once ctx ends (which ends the wait, not the starts).
// Standby(ctx, 0) ends every standby, waiting or starting, and returns once
// they have been reaped, or once ctx ends (which ends the wait, not the
// ending). A start that failed is tried again by the next
// Standby call, by the next Start that finds no standby waiting (so one
// that keeps failing costs an extra start for each), and when another
// standby is taken or dies.
func Standby(ctx context.Context, n int) error {
	if n < 0 {
		return fmt.Errorf("spawn: %d standbys", n)
	}
	standbys.mu.Lock()
	standbys.want = n
	standbys.gen++
	gen := standbys.gen
	standbys.err = nil
	cancelLaterLocked() // those still wanted start now, below
	var drop []*Process
	if len(standbys.idle) > n {
		drop = slices.Clone(standbys.idle[n:])
		clear(standbys.idle[n:])
		standbys.idle = standbys.idle[:n]
		standbys.ending += len(drop) // so that a concurrent Standby(0) waits for them too
	}
	endExcessLocked()
	fillLocked(0)
	changedLocked() // an earlier call still waiting returns: this one replaced its count
	standbys.mu.Unlock()
	// Each is killed now and reaped in the background, so that a ctx that
	// ends, before or while they are reaped, ends this wait, as it ends the
	// wait for starts. Until they are, the wait below counts them (mine),
	// whether this call's count is reached or a later call replaced it: a
	// call that lowers the count returns with them gone.
	mine := len(drop) // guarded by standbys.mu
	for _, p := range drop {
		p.Kill()
		go func() {
			p.discard()
			standbys.mu.Lock()
			standbys.ending--
			mine--
			changedLocked()
			standbys.mu.Unlock()
		}()
	}
	for {
		standbys.mu.Lock()
		idle, starting, err, changed := len(standbys.idle), standbys.starting+standbys.ending, standbys.err, standbys.changed
		replaced, reaped := standbys.gen != gen, mine == 0
		standbys.mu.Unlock()
		switch {
		case !reaped:
		case replaced:
			return nil
		case idle >= n && (n > 0 || starting == 0):
			return nil
		case err != nil && starting == 0:
			return err
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// fillLocked starts as many standbys as are missing, after wait;
// standbys.mu is held.
func fillLocked(wait time.Duration) {
	for len(standbys.idle)+standbys.starting < standbys.want {
		standbys.starting++
		if wait <= 0 {
			go startStandby()
			continue
		}
		var t *time.Timer
		t = time.AfterFunc(wait, func() {
			standbys.mu.Lock()
			delete(standbys.later, t) // t is set: fillLocked held the lock when it was
			standbys.mu.Unlock()
			startStandby()
		})
		standbys.later[t] = struct{}{}
	}
}

// cancelLaterLocked cancels the starts still waiting for their time;
// standbys.mu is held.
func cancelLaterLocked() {
	for t := range standbys.later {
		if t.Stop() {
			standbys.starting--
		}
		delete(standbys.later, t)
	}
}

// endExcessLocked ends the standbys still coming up beyond the count
// wanted, so that a lower count need not wait for them to be up (which may
// take up to warmTimeout) to end them: startStandby then discards each as
// no longer wanted, not as a failed start. standbys.mu is held.
func endExcessLocked() {
	excess := len(standbys.idle) + standbys.starting - standbys.want
	for _, ended := range standbys.warming {
		if ended {
			excess-- // on its way out already
		}
	}
	for p, ended := range standbys.warming {
		if excess <= 0 {
			return
		}
		if !ended {
			standbys.warming[p] = true
			p.Kill()
			excess--
		}
	}
}

// changedLocked wakes Standby's waiters; standbys.mu is held.
func changedLocked() {
	close(standbys.changed)
	standbys.changed = make(chan struct{})
}

// startStandby starts one standby and waits until it says it is up.
func startStandby() {
	standbys.mu.Lock()
	if len(standbys.idle)+standbys.starting > standbys.want { // fewer wanted since this start was planned
		standbys.starting--
		changedLocked()
		standbys.mu.Unlock()
		return
	}
	standbys.mu.Unlock()
	p, err := startProcess("", true, nil)
	if err == nil {
		p.outMu.Lock()
		p.holdSpareLocked() // nobody relays it before a claim: it must not wait on a full pipe
		p.outMu.Unlock()
		p.startReaper()
		standbys.mu.Lock()
		standbys.warming[p] = false
		endExcessLocked() // fewer may be wanted since this start began
		standbys.mu.Unlock()
		err = p.awaitWarm()
	}
	standbys.mu.Lock()
	ended := p != nil && standbys.warming[p] // no longer wanted: its start did not fail
	delete(standbys.warming, p)
	if ended {
		err = nil
	}
	if err == nil && !ended && len(standbys.idle) < standbys.want {
		standbys.idle = append(standbys.idle, p)
		standbys.starting--
		p.OnExit(func() { forget(p) }) // replaced by the claimant's once claimed
		changedLocked()
		standbys.mu.Unlock()
		return
	}
	standbys.mu.Unlock()
	if p != nil { // failed to warm, or no longer wanted: counted as starting until reaped
		p.discard()
	}
	standbys.mu.Lock()
	standbys.starting--
	if err != nil {
		standbys.err = err // not retried here, where it would fail again at once
	} else {
		fillLocked(0) // if more are wanted again by now
	}
	changedLocked()
	standbys.mu.Unlock()
}

// awaitWarm reads the standby's first record, which says it is up.
func (p *Process) awaitWarm() error {
	deadline := time.Now().Add(warmTimeout)
	p.ctl.SetReadDeadline(deadline)
	tag, _, err := readRecord(p.ctl)
	p.ctl.SetReadDeadline(time.Time{})
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		// The standby closed its end: it is exiting, so say how, as Start
		// does for a child that exits before it is ready.
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		select {
		case <-p.done:
			return fmt.Errorf("spawn: standby %d exited before it was up (%v): %w", p.pid, statusError(p.status, p.known), err)
		case <-t.C:
		}
		return fmt.Errorf("spawn: standby %d did not start: %w", p.pid, err)
	case err != nil:
		return fmt.Errorf("spawn: standby %d did not start: %w", p.pid, err)
	case tag != TagWarm:
		return fmt.Errorf("spawn: standby %d sent unexpected record %q", p.pid, tag)
	}
	return nil
}

// forget drops a standby that died while it waited, and has another take
// its place.
func forget(p *Process) {
	standbys.mu.Lock()
	defer standbys.mu.Unlock()
	if i := slices.Index(standbys.idle, p); i >= 0 {
		standbys.idle = slices.Delete(standbys.idle, i, i+1)
		p.discard()            // reaped already: this closes our ends
		fillLocked(refillWait) // later, not at once: standbys that keep dying must not keep the CPU busy
		changedLocked()
	}
}

// takeStandby returns the oldest waiting standby, if any, and starts
// another in its place. Finding none where some are wanted, it starts
// those missing: a start that failed is tried again at the next spawn.
func takeStandby() *Process {
	standbys.mu.Lock()
	defer standbys.mu.Unlock()
	if len(standbys.idle) == 0 {
		fillLocked(refillWait)
		return nil
	}
	p := standbys.idle[0]
	standbys.idle = slices.Delete(standbys.idle, 0, 1)
	fillLocked(refillWait)
	changedLocked()
	return p
}

// claim gives the standby its bootstrap record and waits for it to report
// ready, as Start does for a child it started. It returns errStale if the
// standby died before it read the whole record, or said it ends (a
// SIGTERM came as it read it), and so before it ran anything of the
// actor's: Start can then start the actor elsewhere.
func (p *Process) claim(ctx context.Context, r *Relay, boot []byte) ([]byte, error) {
	stale := func() ([]byte, error) {
		p.discard()
		return nil, errStale
	}
	if !p.relayTo(r) {
		return stale()
	}
	// The standby waits in a read, so the socket is empty and takes all of
	// a record of usual size at once; taking none means the standby's end
	// is closed.
	n := writeNow(p.ctl, boot)
	if n == 0 && len(boot) > 0 {
		return stale()
	}
	ready, err := p.handshake(ctx, boot[n:])
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || err == errStale {
		// The standby's end was closed with the record, or some of it,
		// unread (or before the rest of it was written), or it said it
		// ends (TagGone): it died before it could start the actor.
		return stale()
	}
	return ready, err
}
