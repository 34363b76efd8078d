package uactor

import (
	"sync"
	"time"
)

// Most calls run on the goroutine that read them (serverread.go). Workers
// run the calls of methods known to block, and take over reading a
// connection whose inline call blocks (inline.go). They outlive a job and
// wait a while for the next: a fresh goroutine each time would start with
// a small stack and grow it through the handler and the write path every
// time. Workers come and go with demand; none is kept when the actor is
// idle.

// workerIdle is how long a worker waits for another job before it exits
// (between one and two of it).
const workerIdle = 2 * time.Second

// maxIdleWorkers bounds the workers kept waiting: busy ones are bounded by
// the calls in flight, and without this bound a burst (a flood of calls and
// cancels, say) would leave as many idle goroutines behind it as it had
// calls, for workerIdle, since a call's slot frees before its worker does.
const maxIdleWorkers = 32

// workerPool keeps the idle workers, last parked first: the warmest
// stack goes next, and the coldest are the ones that time out. Each worker
// waits on a channel of its own, which is cheaper to wake than a select
// over shared ones, and the pool trims idle workers on one timer instead of
// a timer reset per call.
type workerPool struct {
	mu     sync.Mutex
	idle   []*worker
	tick   uint64      // trims so far
	timer  *time.Timer // runs trim; armed while some worker is idle
	armed  bool
	closed bool
}

type worker struct {
	wake chan job // one job per wake; closed to make the worker exit
	tick uint64   // the pool's tick when it last parked
}

// job is what a worker does: run a call, or take over reading a
// connection (read) if that is still on offer.
type job struct {
	c    *serverConn
	call incoming
	read bool
}

func (j job) do() {
	switch {
	case j.read:
		if j.c.takeRead() {
			j.c.serve()
		}
	case j.call.m != nil:
		start := time.Now()
		j.c.run(j.call, false)
		if time.Since(start) < inlineTick {
			// It did not block this time (a call can also be found inline
			// over a tick because its process was not scheduled): back to
			// running inline.
			j.call.m.blocks.Store(false)
		}
	}
}

// start gives j to an idle worker, or to a new one if none is idle.
func (s *server) start(j job) {
	p := &s.workers
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.wake <- j
		return
	}
	p.mu.Unlock()
	go s.worker(j)
}

// worker does j, then the jobs it is given while it is idle, until the
// pool lets it go.
func (s *server) worker(j job) {
	w := &worker{wake: make(chan job, 1)}
	for {
		j.do()
		j = job{} // hold nothing while idle
		if !s.workers.park(w) {
			return
		}
		var ok bool
		if j, ok = <-w.wake; !ok {
			return
		}
	}
}

// park makes w idle, unless enough are idle already or the server stopped.
func (p *workerPool) park(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= maxIdleWorkers {
		return false
	}
	w.tick = p.tick
	p.idle = append(p.idle, w)
	if !p.armed {
		p.armed = true
		if p.timer == nil {
			p.timer = time.AfterFunc(workerIdle, p.trim)
		} else {
			p.timer.Reset(workerIdle)
		}
	}
	return true
}

// trim lets go of the workers idle since before the previous trim.
func (p *workerPool) trim() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tick++
	n := 0
	for n < len(p.idle) && p.idle[n].tick+1 < p.tick {
		close(p.idle[n].wake)
		n++
	}
	p.idle = append(p.idle[:0], p.idle[n:]...)
	p.armed = len(p.idle) > 0 && !p.closed
	if p.armed {
		p.timer.Reset(workerIdle)
	}
}

// close lets every idle worker go, and any that parks later.
func (p *workerPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, w := range p.idle {
		close(w.wake)
	}
	p.idle = nil
	if p.timer != nil {
		p.timer.Stop()
	}
	p.armed = false
}
