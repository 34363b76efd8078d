package uactor

import (
	"context"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

// Calls run on worker goroutines that outlive a call and wait a while for
// the next: a fresh goroutine per call would start with a small stack and
// grow it through the handler and the write path every time, which costs
// more than the hand-off. Workers come and go with demand; none is kept
// when the actor is idle.

// workerIdle is how long a worker waits for another call before it exits.
const workerIdle = 2 * time.Second

// maxIdleWorkers bounds the workers kept waiting: busy ones are bounded by
// the calls in flight, and without this bound a burst (a flood of calls and
// cancels, say) would leave as many idle goroutines behind it as it had
// calls, for workerIdle, since a call's slot frees before its worker does.
const maxIdleWorkers = 32

// job is one call, handed to a worker.
type job struct {
	c   *serverConn
	ctx context.Context
	id  uint64
	m   *methodEntry
	buf *frame.Buffer
	req []byte // the request, within buf
}

// start runs j on an idle worker, or on a new one if all are busy.
func (s *server) start(j job) {
	select {
	case s.jobs <- j:
	default:
		go s.worker(j)
	}
}

func (s *server) worker(j job) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		j.c.run(j.ctx, j.id, j.m, j.buf, j.req)
		j = job{} // hold nothing while idle
		if s.idle.Add(1) > maxIdleWorkers {
			s.idle.Add(-1)
			return
		}
		t.Reset(workerIdle)
		select {
		case j = <-s.jobs:
			s.idle.Add(-1)
		case <-t.C:
			s.idle.Add(-1)
			return
		case <-s.done:
			s.idle.Add(-1)
			return
		}
	}
}
