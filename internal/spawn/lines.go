package spawn

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lineSource is one output pipe of one process, read into its relay a line
// at a time. The process's poller reads it where there is one; otherwise a
// goroutine of its own does.
type lineSource struct {
	r       *Relay
	f       *os.File // the pipe's read end; closed once the source ends
	prefix  string
	ended   func() // called once the source has ended and queued its last line
	partial []byte // the start of a line whose end has not come yet
	skip    bool   // what comes up to the next newline ends a line dropped already
	dropped int    // lines this process lost to a full queue, not yet reported
	fd      int    // f's descriptor, read by the poller; -1 if f has none
	w       *watch // the poller's hold on fd; nil: a goroutine reads f

	chosen   chan struct{} // closed once start has set w: stop reads it after
	finished chan struct{} // closed once finish has run
}

// start has the poller read the pipe, or a goroutine if it cannot.
func (s *lineSource) start() {
	s.finished, s.chosen = make(chan struct{}), make(chan struct{})
	// FlushOutput finds s from here on, and may stop it before w is set.
	defer close(s.chosen)
	live.Lock()
	live.sources[s] = struct{}{}
	live.Unlock()
	s.fd = -1
	if rc, err := s.f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { s.fd = int(fd) })
	}
	if s.fd >= 0 {
		if s.w = watchReadable(s.fd, s.readable, s.finish); s.w != nil {
			return
		}
	}
	go s.copy()
}

// stop ends the source now, with what the pipe holds so far.
func (s *lineSource) stop() {
	<-s.chosen
	if s.w != nil {
		s.w.cancel() // finishes, unless the source has ended
		return
	}
	// The goroutine's read returns, and it finishes.
	if s.f.SetReadDeadline(time.Now()) != nil {
		s.f.Close()
	}
}

// readable reads what the pipe holds, on the poller's goroutine, and
// reports whether the pipe has ended. It stops after a few reads so that
// one chatty process does not hold up the others; the poller calls it again.
func (s *lineSource) readable(scratch []byte) (ended bool) {
	for range 8 {
		n, err := syscall.Read(s.fd, scratch)
		if n > 0 {
			s.feed(scratch[:n])
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return false
		case err != nil || n == 0:
			return true
		}
	}
	return false
}

// copy reads the pipe until its end, on a goroutine of its own.
func (s *lineSource) copy() {
	buf := make([]byte, 4096)
	for {
		n, err := s.f.Read(buf)
		s.feed(buf[:n])
		if err != nil {
			break
		}
	}
	s.finish()
}

// finish takes what the pipe still holds, queues what is left and ends the
// source.
func (s *lineSource) finish() {
	s.drain()
	s.flush()
	s.f.Close()
	live.Lock()
	delete(live.sources, s)
	live.Unlock()
	s.ended()
	close(s.finished)
}

// drain reads what the pipe holds now, without waiting for more, and at
// most as much as the queue can take: a descendant that holds the pipe and
// keeps writing is cut off.
func (s *lineSource) drain() {
	s.f.SetReadDeadline(time.Time{}) // stop's, if it set one
	rc, err := s.f.SyscallConn()
	if err != nil {
		return // closed
	}
	buf := make([]byte, 4096)
	rc.Read(func(fd uintptr) bool {
		for total := 0; total < maxQueued; {
			n, err := syscall.Read(int(fd), buf)
			if n > 0 {
				s.feed(buf[:n])
				total += n
			}
			if err != syscall.EINTR && (err != nil || n <= 0) {
				break
			}
		}
		return true // never wait
	})
}

// feed queues each complete line in b, after what came before it, and each
// maxLine bytes of a line longer than maxLine+prefixRoom as a line of its
// own; the rest waits for more.
func (s *lineSource) feed(b []byte) {
	if s.skip {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return
		}
		s.skip, b = false, b[i+1:]
	}
	if len(b) == 0 {
		return
	}
	rest := b
	if len(s.partial) > 0 {
		s.partial = append(s.partial, b...)
		rest = s.partial
	}
	for {
		i := bytes.IndexByte(rest[:min(len(rest), maxLine+prefixRoom)], '\n')
		switch {
		case i >= 0:
			s.add(rest[:i+1])
			rest = rest[i+1:]
		case len(rest) >= maxLine+prefixRoom:
			s.add(rest[:maxLine])
			rest = rest[maxLine:]
		default:
			s.partial = append(s.partial[:0], rest...) // may overlap: append moves
			return
		}
	}
}

// flush queues a last line cut short (a crash, say), with a newline, and
// the count of lines dropped that is still to be reported.
func (s *lineSource) flush() {
	if len(s.partial) > 0 {
		s.add(s.partial)
		s.partial = nil
	}
	if s.dropped > 0 {
		s.r.mu.Lock()
		if s.r.closed.Load() {
			s.r.mu.Unlock()
			return
		}
		s.flushDropped(true)
		s.r.wakeLocked()
		s.r.mu.Unlock()
	}
}

// add queues one line (with its prefix, ending in a newline), or drops it
// if the queue is full.
func (s *lineSource) add(line []byte) {
	b := make([]byte, 0, len(s.prefix)+len(line)+1)
	b = append(append(b, s.prefix...), line...)
	if line[len(line)-1] != '\n' {
		b = append(b, '\n')
	}
	r := s.r
	r.mu.Lock()
	if r.closed.Load() {
		r.mu.Unlock()
		return
	}
	s.flushDropped(false)
	if r.queued+len(b) > maxQueued {
		s.dropped++
	} else {
		r.queue = append(r.queue, b)
		r.queued += len(b)
	}
	r.wakeLocked()
	r.mu.Unlock()
}

// flushDropped queues the report of lines dropped so far, if there is room
// or force says to make room; r.mu is held.
func (s *lineSource) flushDropped(force bool) {
	if s.dropped == 0 {
		return
	}
	m := fmt.Appendf(nil, "%s[%d lines dropped]\n", s.prefix, s.dropped)
	if !force && s.r.queued+len(m) > maxQueued {
		return
	}
	s.r.queue = append(s.r.queue, m)
	s.r.queued += len(m)
	s.dropped = 0
}
