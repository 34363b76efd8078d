package registry

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// maxStrikes is how many failed checks in a row drop an address whose dial
// fails in a way that does not prove the actor gone (a timeout, say).
const maxStrikes = 3

// verdict is the outcome of one liveness check.
type verdict uint8

const (
	alive   verdict = iota // a listener accepted the dial
	dropped                // gone, or out of strikes: removed by this check
	suspect                // failed this time without proving its actor gone: kept for now
	absent                 // deregistered while the check ran (and maybe registered again)
	unknown                // the registry is shutting down: no verdict
)

// check dials e's address and drops it if its actor is gone. Concurrent
// checks of one entry share one dial, and its verdict; a check of an
// address registered again since is another entry's, and dials anew. The
// dial runs on the registry's clock, not ctx's (other callers may share
// it); check returns ctx's error if ctx ends first.
func (r *Registry) check(ctx context.Context, e entry) (verdict, error) {
	// Unique to e's registration, of all, and to how often it was
	// registered again in place: a check after that dials anew.
	key := strconv.FormatUint(e.gen, 10) + "." + strconv.FormatUint(e.regs, 10)
	ch := r.checks.DoChan(key, func() (any, error) { return r.dialCheck(e), nil })
	select {
	case res := <-ch:
		return res.Val.(verdict), nil
	case <-ctx.Done():
		return unknown, ctx.Err()
	}
}

// dialCheck is one check: a dial, closed at once, then the verdict.
func (r *Registry) dialCheck(e entry) verdict {
	ctx, cancel := context.WithTimeout(r.life, r.cfg.DialTimeout)
	defer cancel()
	c, err := r.dial(ctx, e.network, e.target)
	if err == nil {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // reset, not FIN: frequent checks leave no TIME_WAIT behind
		}
		c.Close()
	} else if r.life.Err() != nil {
		return unknown
	}
	return r.judge(e, err)
}

// judge records the outcome of a dial of e's address: err nil means alive.
// It is a verdict on e alone: absent if e is no longer registered, even
// if its address is again.
//
// A dial refused (or a socket file missing) proves that nothing listens
// there now, not that nothing will: an actor supervised with Restart comes
// back at its address, and is refused while it restarts. So such a dial
// drops an address at once only if no check ever found its actor alive, or
// if its socket's directory is gone (which its owner removes only once no
// restart follows); otherwise it is dropped by the first check that finds
// it still failing DialTimeout after its checks began to fail, as a ref
// gives up on its actor, and is not handed out meanwhile (Picks check it
// in its turn, as a refusal costs them nothing, and hand it out once a
// check finds it alive). A host name that does not exist drops it at
// once; other failures are strikes, maxStrikes of which in a row drop it,
// and make it a suspect (see entry.suspect).
func (r *Registry) judge(e entry, err error) verdict {
	gone := err != nil && (noHost(err) || refused(err) && dirGone(e)) // the file system is read before the lock
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.ring.get(e.addr)
	switch {
	case cur == nil || cur.gen != e.gen: // registered again since: the dial may predate its actor
		return absent
	case err == nil:
		cur.seen, cur.failing, cur.strikes = true, time.Time{}, 0
		return alive
	case cur.regs != e.regs:
		// Registered again in place while this dial ran: its failure may
		// predate the actor its registrant vouches for now, so it neither
		// drops the address nor counts against it.
		return suspect
	}
	now := time.Now()
	if cur.failing.IsZero() {
		cur.failing = now
	}
	var drop bool
	switch {
	case gone:
		drop = true
	case refused(err):
		drop = !cur.seen || now.Sub(cur.failing) >= r.cfg.DialTimeout
	default:
		cur.strikes++
		drop = cur.strikes >= maxStrikes
	}
	if drop {
		r.ring.remove(e.addr)
		return dropped
	}
	return suspect
}

// refused reports whether a dial's error says that nothing listens there
// now: refused, or a socket file that does not exist.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

// noHost reports whether a dial's error says that its host name does not exist.
func noHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// dirGone reports whether e is a Unix socket whose directory is gone.
func dirGone(e entry) bool {
	if e.network != "unix" {
		return false
	}
	_, err := os.Stat(filepath.Dir(e.target))
	return errors.Is(err, fs.ErrNotExist)
}
