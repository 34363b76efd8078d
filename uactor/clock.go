package uactor

import (
	"sync"
	"time"
)

// Periodic work (keepalive checks, the idle watcher's look, the inline
// watchdog) runs from one goroutine per process that sleeps on a kernel
// timer between rounds (clockSleeper), rather than on runtime timers. While
// any runtime timer is pending, however far off, the Go scheduler waits for
// input with a timeout, which arms a kernel timer on every wait; an actor
// and its caller wait once a sequential call each, and that shows in every
// small call on a virtual machine (BENCHMARKS.md). With no timer pending,
// they wait with none.
var checks clock

// A clockJob is run, on a goroutine of its own, every period while it is
// added to the clock. A run may overlap the next only if it takes longer
// than a period.
type clockJob struct {
	period time.Duration
	run    func()
	next   time.Time // when it is due; the clock's own
}

// step is how often the clock must look for j to run on time, give or take
// a quarter of its period.
func (j *clockJob) step() time.Duration { return min(max(j.period/4, minStep), maxStep) }

const (
	minStep = time.Millisecond
	maxStep = time.Second
)

// clock runs the jobs added to it when they are due. Its goroutine runs
// while any job is added, and wakes every quarter of the shortest period
// (within minStep and maxStep), so a job runs up to a step late.
type clock struct {
	mu      sync.Mutex
	jobs    map[*clockJob]struct{}
	running bool
	sleep   clockSleeper
	wakeAt  time.Time // when the sleeping goroutine wakes
}

// A clockSleeper is what the clock's goroutine sleeps on: arm sets when it
// wakes (again, if it sleeps already), wait sleeps until then.
type clockSleeper interface {
	arm(d time.Duration)
	wait()
}

// add adds j, due one period from now (again, if it was added already). A
// job that needs a shorter step than the clock sleeps wakes it.
func (c *clock) add(j *clockJob) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	j.next = now.Add(j.period)
	if c.jobs == nil {
		c.jobs = map[*clockJob]struct{}{}
		c.sleep = newSleeper()
	}
	c.jobs[j] = struct{}{}
	if !c.running {
		c.running = true
		go c.run()
		return
	}
	if at := now.Add(j.step()); at.Before(c.wakeAt) {
		c.wakeAt = at
		c.sleep.arm(j.step())
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
			step = min(step, j.step())
		}
		c.wakeAt = time.Now().Add(step)
		c.sleep.arm(step) // under mu: an add that wakes us is not undone
		c.mu.Unlock()
		c.sleep.wait()

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

// timerSleeper sleeps on a runtime timer, where there is no kernel timer
// to wait on.
type timerSleeper struct{ t *time.Timer }

func newTimerSleeper() clockSleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return timerSleeper{t}
}

func (s timerSleeper) arm(d time.Duration) { s.t.Reset(d) }
func (s timerSleeper) wait()               { <-s.t.C }
