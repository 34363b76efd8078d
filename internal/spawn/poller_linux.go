//go:build linux

package spawn

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// A poller waits on many descriptors with one goroutine: an epoll set whose
// own descriptor sits in the runtime's poller. Each live child has three
// descriptors to wait on (its two output pipes and its pidfd); a goroutine
// parked on each would cost every garbage collection a deep stack to scan,
// so an owner of many actors would pay on every cycle for each of them.
type poller struct {
	ep      int
	rc      syscall.RawConn // ep, as the runtime's poller sees it
	mu      sync.Mutex
	watches map[int32]*watch // by the token each event carries
	next    int32
	scratch []byte // handlers' read buffer: they run one at a time
}

// A watch is one descriptor in the set.
type watch struct {
	p     *poller
	fd    int
	token int32
	ready func(scratch []byte) (done bool) // fd is readable; true: done with it
	ended func()                           // fd has left the set, for good

	mu   sync.Mutex // held while ready or ended runs
	gone bool
}

// noPoller makes watchReadable refuse, so that tests can take the other way.
var noPoller atomic.Bool

// thePoller is the process's poller, made on first use; nil if the system
// refused one (callers then wait with a goroutine each, as before).
var thePoller = sync.OnceValue(func() *poller {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	if syscall.SetNonblock(ep, true) != nil {
		syscall.Close(ep)
		return nil
	}
	f := os.NewFile(uintptr(ep), "uactor-poller") // kept for the process's life
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil
	}
	p := &poller{ep: ep, rc: rc, watches: map[int32]*watch{}, scratch: make([]byte, 32<<10)}
	go p.run()
	return p
})

// watchReadable has ready called, on the poller's goroutine, whenever fd is
// readable, until it returns true; fd then leaves the set and ended is
// called. ready must not block. The caller keeps fd open until ended has
// run. It returns nil if fd cannot be watched so; the caller then waits on
// its own.
func watchReadable(fd int, ready func(scratch []byte) bool, ended func()) *watch {
	if noPoller.Load() {
		return nil
	}
	p := thePoller()
	if p == nil {
		return nil
	}
	w := &watch{p: p, fd: fd, ready: ready, ended: ended}
	p.mu.Lock()
	for p.next++; p.next == 0 || p.watches[p.next] != nil; p.next++ {
	}
	w.token = p.next
	p.watches[w.token] = w
	p.mu.Unlock()
	// Level-triggered: a handler that stops reading early is called again.
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: w.token}
	if syscall.EpollCtl(p.ep, syscall.EPOLL_CTL_ADD, fd, &ev) != nil {
		p.forget(w.token)
		return nil
	}
	return w
}

// cancel takes fd out of the set, if it is still there, and then calls
// ended; once cancel returns, ended has run, here or before.
func (w *watch) cancel() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.leaveLocked()
}

// leaveLocked ends the watch once: fd leaves the set before ended runs,
// which may close it; w.mu is held.
func (w *watch) leaveLocked() {
	if w.gone {
		return
	}
	w.gone = true
	syscall.EpollCtl(w.p.ep, syscall.EPOLL_CTL_DEL, w.fd, nil)
	w.p.forget(w.token)
	w.ended()
}

func (p *poller) forget(token int32) {
	p.mu.Lock()
	delete(p.watches, token)
	p.mu.Unlock()
}

// run calls the handlers of readable descriptors, for the process's life.
func (p *poller) run() {
	events := make([]syscall.EpollEvent, 64)
	for {
		var n int
		err := p.rc.Read(func(ep uintptr) bool {
			var err error
			n, err = syscall.EpollWait(int(ep), events, 0)
			for err == syscall.EINTR {
				n, err = syscall.EpollWait(int(ep), events, 0)
			}
			return err == nil && n > 0 // nothing ready: park until the set is
		})
		if err != nil {
			return // the set's descriptor is never closed, so this is not reached
		}
		for _, ev := range events[:n] {
			p.mu.Lock()
			w := p.watches[ev.Fd]
			p.mu.Unlock()
			if w != nil {
				w.readable()
			}
		}
	}
}

func (w *watch) readable() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.gone && w.ready(w.p.scratch) {
		w.leaveLocked()
	}
}
