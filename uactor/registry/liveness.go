package registry

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// maxStrikes is how many failed checks in a row drop an address whose dial
// fails in a way that does not prove the actor gone (a timeout, say).
const maxStrikes = 3

// verdict is the outcome of one liveness check.
type verdict uint8

const (
	alive   verdict = iota // a listener accepted the dial
	dropped                // gone, or out of strikes: removed by this check
	suspect                // unreachable this time; kept until it strikes out
	absent                 // deregistered while the check ran
	unknown                // the registry is shutting down: no verdict
)

// check dials e's address and drops it if its actor is gone. Concurrent
// checks of one address share one dial, and its verdict. The dial runs on
// the registry's clock, not ctx's (other callers may share it); check
// returns ctx's error if ctx ends first.
func (r *Registry) check(ctx context.Context, e entry) (verdict, error) {
	ch := r.checks.DoChan(e.addr, func() (any, error) { return r.dialCheck(e), nil })
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
	var d net.Dialer
	c, err := d.DialContext(ctx, e.network, e.target)
	if err == nil {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // reset, not FIN: frequent checks leave no TIME_WAIT behind
		}
		c.Close()
	} else if r.life.Err() != nil {
		return unknown
	}
	return r.judge(e.addr, err)
}

// judge records the outcome of a dial of addr: err nil means alive.
func (r *Registry) judge(addr string, err error) verdict {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.ring.get(addr)
	switch {
	case e == nil:
		return absent
	case err == nil:
		e.strikes = 0
		return alive
	}
	e.strikes++
	if gone(err) || e.strikes >= maxStrikes {
		r.ring.remove(addr)
		return dropped
	}
	return suspect
}

// gone reports whether a dial's error proves that nothing listens there any
// more: refused, a socket file or a host name that does not exist.
func gone(err error) bool {
	var dns *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) ||
		(errors.As(err, &dns) && dns.IsNotFound)
}
