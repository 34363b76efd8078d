package spawn

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of a Relay. A child writes into a pipe that the relay always
// drains, so the child never waits for the relay's writer; what the writer
// cannot take in time waits in a queue of at most maxQueued bytes, and lines
// beyond that are dropped and counted.
const (
	maxLine   = 64 << 10  // a line longer than maxLine+prefixRoom is passed on in pieces of this size
	maxQueued = 256 << 10 // bytes of lines waiting for the writer
	// prefixRoom is how much longer than maxLine a line may be and still
	// pass whole: a nested actor's piece of maxLine comes with its
	// prefixes, and cut again at maxLine its tail would reach the owner
	// as its owner's own line.
	prefixRoom = 4 << 10
)

// Relay passes each line that child processes write to their stdout and
// stderr on to one writer, prefixed with a name and the writing process's
// pid ("name[pid] "). One relay serves every process started with it (an
// actor and its restarts), so lines reach the writer one whole line per
// Write, in the order each process wrote them, from one goroutine at a time.
//
// A relay never makes a child wait: when the writer is slower than the
// children, lines queue up to a bound and the excess is dropped; once lines
// flow again, a line "name[pid] [N lines dropped]" says how many were lost.
//
// A writer that panics loses the line it was given, as a failing one does,
// and the relay goes on with the next: the writer is the user's, and its
// bug must not end the process that relays for every actor it owns.
type Relay struct {
	w       io.Writer
	name    string
	onPanic func(v any) // told each panic of w; nil: none is told

	mu      sync.Mutex
	queue   [][]byte
	queued  int
	writing bool          // a writer goroutine is running: it empties the queue, then ends
	closed  atomic.Bool   // Close was called: no line is queued or given to w again
	flushed chan struct{} // closed and replaced when the writer catches up
}

// NewRelay returns a relay writing to w with name in every line's prefix,
// quoted if it holds control characters (see prefixName).
// It holds no goroutine while no line waits: a writer starts with the first
// line queued and ends once the queue is empty, so an owner of many quiet
// actors does not keep one parked per actor for the collector to scan.
// onPanic, unless nil, is called with what w panicked with, each time it
// does, on the relay's writing goroutine.
func NewRelay(w io.Writer, name string, onPanic func(v any)) *Relay {
	return &Relay{w: w, name: prefixName(name), onPanic: onPanic, flushed: make(chan struct{})}
}

// Flush waits until every line queued so far has been written, or until
// timeout fires.
func (r *Relay) Flush(timeout <-chan time.Time) {
	for {
		r.mu.Lock()
		idle := len(r.queue) == 0 && !r.writing
		ch := r.flushed
		r.mu.Unlock()
		if idle {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			return
		}
	}
}

// Close ends the relay: lines queued and lines that come later are
// dropped, and no Write of w begins once Close has returned. It waits
// until a Write in progress has returned, or until timeout fires: the
// owner of w may close it once the relay's last process has gone, and a
// descendant that still holds a pipe must not reach w after that.
func (r *Relay) Close(timeout <-chan time.Time) {
	r.mu.Lock()
	r.closed.Store(true)
	r.queue, r.queued = nil, 0
	r.mu.Unlock()
	r.Flush(timeout)
}

// wakeLocked starts the writer if lines wait and none runs; r.mu is held.
func (r *Relay) wakeLocked() {
	if !r.writing && len(r.queue) > 0 {
		r.writing = true
		go r.write()
	}
}

// write writes queued lines until the queue is empty. A writer that blocks
// for ever holds this goroutine, and lines queue behind it up to the bound.
func (r *Relay) write() {
	done := false
	var rest [][]byte // the lines of the batch in hand not given to w yet
	defer func() {
		if !done { // the writer ended this goroutine (see writeLine)
			if len(rest) > 0 { // ahead of the lines queued since: they came later
				r.mu.Lock()
				for _, line := range rest {
					r.queued += len(line)
				}
				r.queue = slices.Concat(rest, r.queue)
				r.mu.Unlock()
			}
			go r.write() // r.writing is still set: this goroutine's work is its
		}
	}()
	for {
		r.mu.Lock()
		batch := r.queue
		r.queue, r.queued = nil, 0
		if len(batch) == 0 {
			r.writing = false
			close(r.flushed)
			r.flushed = make(chan struct{})
			r.mu.Unlock()
			done = true
			return
		}
		r.mu.Unlock()
		for i, line := range batch {
			rest = batch[i+1:]
			r.writeLine(line)
		}
		rest = nil
	}
}

// writeLine gives w one line. A failing writer loses the line, as a slow
// one would; so does one that panics, whose panic goes to onPanic rather
// than ending the process. One that ends this goroutine (runtime.Goexit:
// t.FailNow in a test's writer, say) loses the line too, and another
// goroutine writes on, from the next line it was to write: else the relay would count its writer as
// running for ever, write no line again, and hold every Flush until its
// timeout. That is told in write, not here: a recover that returns nil
// may have ended a panic(nil) (under GODEBUG=panicnil=1), after which
// this goroutine writes on.
func (r *Relay) writeLine(line []byte) {
	if r.closed.Load() { // set before Close returns: no Write begins after
		return
	}
	defer func() {
		if v := recover(); v != nil && r.onPanic != nil {
			r.onPanic(v)
		}
	}()
	r.w.Write(line)
}

// outputPipes returns the write ends of two pipes to give a child as stdout
// and stderr (two, so that a line cut short on one is not glued to the next
// line on the other), and their read ends, for a relay's read.
func outputPipes() (child, read [2]*os.File, err error) {
	for i := range 2 {
		if read[i], child[i], err = os.Pipe(); err != nil {
			closeAll(append(child[:i], read[:i]...))
			return child, read, fmt.Errorf("spawn: output pipe: %w", err)
		}
	}
	return child, read, nil
}

// heldOutput is what a holder read from one pipe before a relay took it
// over (see holder.take).
type heldOutput struct {
	kept    []byte
	dropped int
	skip    bool
}

// read starts reading the read ends of process pid's output pipes, which
// are then its to close, after what was read from them before (held). The
// channel it returns is closed once both reach their end (every holder of
// the write ends exited, or stop was called) and every line read has been
// queued; stop ends the reading at once, for a child whose descendants
// still hold a pipe.
func (r *Relay) read(read [2]*os.File, pid int, held [2]heldOutput) (done <-chan struct{}, stop func()) {
	closed := make(chan struct{})
	var open atomic.Int32 // pipes not yet at their end; the last closes done
	open.Store(int32(len(read)))
	var sources [len(read)]*lineSource
	for i, f := range read {
		sources[i] = &lineSource{r: r, f: f, prefix: fmt.Sprintf("%s[%d] ", r.name, pid), ended: func() {
			if open.Add(-1) == 0 {
				close(closed)
			}
		}}
		sources[i].feed(held[i].kept)
		sources[i].dropped += held[i].dropped // after the kept lines: reported after them
		sources[i].skip = held[i].skip
		sources[i].start()
	}
	return closed, func() {
		for _, s := range sources {
			s.stop()
		}
	}
}
