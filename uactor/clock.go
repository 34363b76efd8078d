package uactor

import (
	"sync"
	"time"
)

// Periodic work on connections (keepalive checks, the idle watcher's look)
// runs from one goroutine per process that sleeps on a kernel timer between
// rounds (kernelSleep), rather than on runtime timers. While any runtime
// timer is pending, however far off, the Go scheduler waits for input with
// a timeout, which arms a kernel timer on every wait; an actor and its
// caller wait once a sequential call each, and that shows in every small
// call on a virtual machine (BENCHMARKS.md). With no timer pending, they
// wait with none.
var checks clock

// A clockJob is run, on a goroutine of its own, every period while it is
// added to the clock. A run may overlap the next only if it takes longer
// than a period.
type clockJob struct {
	period time.Duration
	run    func()
	next   time.Time // when it is due; the clock's own
}

// clock runs the jobs added to it when they are due. Its goroutine runs
// while any job is added, and wakes every quarter of the shortest period
// (within minStep and maxStep), so a job runs up to a step late.
type clock struct {
	mu      sync.Mutex
	jobs    map[*clockJob]struct{}
	running bool
}

const (
	minStep = time.Millisecond
	maxStep = time.Second
)

// add adds j, due one period from now (again, if it was added already).
func (c *clock) add(j *clockJob) {
	c.mu.Lock()
	j.next = time.Now().Add(j.period)
	if c.jobs == nil {
		c.jobs = map[*clockJob]struct{}{}
	}
	c.jobs[j] = struct{}{}
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		go c.run()
	}
}

// remove takes j off the clock; a run of it already started goes on.
func (c *clock) remove(j *clockJob) {
	c.mu.Lock()
	delete(c.jobs, j)
	c.mu.Unlock()
}

// run is the clock's goroutine: it returns once no job is added.
func (c *clock) run() {
	var due []*clockJob
	for {
		c.mu.Lock()
		if len(c.jobs) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		step := maxStep
		for j := range c.jobs {
			step = min(step, j.period/4)
		}
		c.mu.Unlock()
		kernelSleep(max(step, minStep))

		now := time.Now()
		c.mu.Lock()
		for j := range c.jobs {
			if !now.Before(j.next) {
				j.next = now.Add(j.period)
				due = append(due, j)
			}
		}
		c.mu.Unlock()
		for _, j := range due {
			go j.run() // a run may block: a ping's write
		}
		clear(due)
		due = due[:0]
	}
}
