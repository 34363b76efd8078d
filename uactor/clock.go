package uactor

import (
	"sync"
	"time"
)

// The keepalive checks of every connection in a process run from one
// goroutine that sleeps in the kernel between rounds (kernelSleep), rather
// than on runtime timers. While any runtime timer is pending, however far
// off, the Go scheduler waits for input with a timeout, which arms a kernel
// timer on every wait; an actor between sequential calls waits once a call,
// and that shows in every small call on a virtual machine (BENCHMARKS.md).
// With no timer pending, it waits with none.
var checks clock

// clock runs registered keepalives when they are due. Its goroutine runs
// while any is registered, and wakes every quarter of the shortest period
// (within minStep and maxStep), so a check runs up to a step late.
type clock struct {
	mu      sync.Mutex
	jobs    map[*keepalive]struct{}
	running bool
}

const (
	minStep = time.Millisecond
	maxStep = time.Second
)

// add registers k, due one period from now.
func (c *clock) add(k *keepalive) {
	k.next = time.Now().Add(k.period)
	c.mu.Lock()
	if c.jobs == nil {
		c.jobs = map[*keepalive]struct{}{}
	}
	c.jobs[k] = struct{}{}
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		go c.run()
	}
}

// remove unregisters k; a check of it already started may still run.
func (c *clock) remove(k *keepalive) {
	c.mu.Lock()
	delete(c.jobs, k)
	c.mu.Unlock()
}

// run is the clock's goroutine: it returns once nothing is registered.
func (c *clock) run() {
	var due []*keepalive
	for {
		c.mu.Lock()
		if len(c.jobs) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		step := maxStep
		for k := range c.jobs {
			step = min(step, k.period/4)
		}
		c.mu.Unlock()
		kernelSleep(max(step, minStep))

		now := time.Now()
		c.mu.Lock()
		for k := range c.jobs {
			if !now.Before(k.next) {
				k.next = now.Add(k.period)
				due = append(due, k)
			}
		}
		c.mu.Unlock()
		for _, k := range due {
			go k.check() // a check may write a ping, which may block
		}
		clear(due)
		due = due[:0]
	}
}
