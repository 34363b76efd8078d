//go:build unix

package uactor

import (
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
)

// preempted is a gap between two tries of a spin that means the thread was
// descheduled, far longer than one failed read takes: the CPU most likely
// went to the peer, which a spin on the same CPU only delays.
const preempted = 10 * time.Microsecond

// bulk is how many bytes read between two waits for a message make a bulk
// transfer: waking is then a small part of each exchange, and spinning or
// yielding would take CPU time from the copies that are most of it.
const bulk = 64 << 10

// maxSpinSkip bounds how many reads in a row park at once after spins
// failed: a connection where spinning never pays spins on one read in
// this many plus one. It is kept low for a sequential caller and actor that
// the kernel has put on one CPU, where every spin fails: it is the spins
// that let the kernel move one of the two to an idle CPU, where spinning
// pays again.
const maxSpinSkip = 16

// bulkWait bounds a wait in the kernel for more of a bulk transfer (see
// waitBulk): long enough to cover the peer's turn between two large
// messages, short enough that a deadline or a close made meanwhile is not
// much delayed.
const bulkWait = 2 * time.Millisecond

// spinReader reads a socket the way net.Conn does, except that a read that
// finds nothing, when a message is due, retries for up to budget before it
// parks. In a process that may run on one CPU only, the peer that is to
// send the message most likely waits for that CPU: there the read, instead
// of spinning, yields the CPU once and tries again. It adapts: a spin or
// yield that found nothing, or a spin that lost its CPU, makes the next
// reads park at once, twice as many each time, until one pays again. In
// a bulk transfer (a read into a large frame's body, or a wait for the
// next message after an exchange that read over bulk bytes) it neither
// spins nor yields: with more than one CPU to run on it waits in the
// kernel for a while before it parks (waitBulk); with one it parks at
// once. One goroutine reads at a time, as frame.Reader requires.
type spinReader struct {
	nc     net.Conn
	rc     syscall.RawConn
	net    string // "unix" or "tcp", for errors
	budget time.Duration
	yield  bool          // one CPU: yield it once instead of spinning
	gap    time.Duration // preempted; a field so that tests can widen it
	wait   time.Duration // bulkWait; a field so that tests can change it
	when   func() bool   // a reply or request is due: spinning may pay
	skip   int           // reads left that park at once
	back   int           // the skip after the next failure
	got    int           // bytes read since the last wait for a message

	// One read's state, kept here so that a read allocates nothing.
	try   func(fd uintptr) bool // s.attempt, bound once
	p     []byte
	n     int
	err   error
	last  time.Time // when the spin last found nothing
	until time.Time
	state spinState
}

// spinState is where one read is.
type spinState uint8

const (
	firstTry spinState = iota // nothing read yet
	retrying                  // found nothing, trying again until s.until
	yielded                   // found nothing, gave the CPU away once
	ranOut                    // parked: the spin found nothing
	notDue                    // parked: nothing was due, so no spin
	waited                    // waited in the kernel for bulk, parks if that found nothing
)

// spinning returns nc's reader for frame.Reader: a spinReader where
// spinning can pay (a socket, a budget, and more than one CPU to run on or
// a way to yield the one), nc itself otherwise.
func spinning(nc net.Conn, budget time.Duration, when func() bool) io.Reader {
	yield := runtime.GOMAXPROCS(0) < 2
	if budget <= 0 || yield && !canYield {
		return nc
	}
	var network string
	switch nc.(type) {
	case *net.UnixConn:
		network = "unix"
	case *net.TCPConn:
		network = "tcp"
	default:
		return nc
	}
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return nc
	}
	s := &spinReader{nc: nc, rc: rc, net: network, budget: budget, yield: yield, gap: preempted, wait: bulkWait, when: when, back: 1}
	s.try = s.attempt
	return s
}

func (s *spinReader) Read(p []byte) (int, error) {
	if s.skip > 0 && len(p) <= bulk || len(p) == 0 {
		s.skip = max(s.skip-1, 0)
		n, err := s.nc.Read(p)
		s.got += n
		return n, err
	}
	s.p, s.n, s.err, s.state = p, 0, nil, firstTry
	err := s.rc.Read(s.try)
	s.p = nil
	if err != nil {
		return 0, err // a deadline, or the connection closed: wrapped like net.Conn's
	}
	switch s.state {
	case ranOut:
		s.skip, s.back = s.back, min(2*s.back, maxSpinSkip)
	case retrying, yielded:
		s.back = 1
	}
	if s.err != nil {
		return 0, &net.OpError{Op: "read", Net: s.net, Source: s.nc.LocalAddr(), Addr: s.nc.RemoteAddr(), Err: os.NewSyscallError("read", s.err)}
	}
	if s.n == 0 {
		return 0, io.EOF
	}
	s.got += s.n
	return s.n, nil
}

// attempt is the read given to the socket's RawConn: false parks the
// goroutine until the socket is readable, and then it is called again.
func (s *spinReader) attempt(fd uintptr) bool {
	for {
		n, err := syscall.Read(int(fd), s.p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != syscall.EAGAIN:
			s.n, s.err = max(n, 0), err
			return true
		case s.state == ranOut || s.state == notDue || s.state == waited:
			return false
		case s.state == firstTry:
			due := s.when()
			bulky := len(s.p) > bulk // the body of a large frame
			if due {
				bulky, s.got = s.got > bulk, 0 // the message after a bulk exchange
			}
			switch {
			case bulky && s.waitBulk(fd):
				continue
			case bulky || !due:
				s.state = notDue
				return false
			case s.yield:
				yieldCPU()
				s.state = yielded
				continue
			}
			s.last = time.Now()
			s.state, s.until = retrying, s.last.Add(s.budget)
		case s.state == yielded:
			s.state = ranOut
			return false
		default:
			now := time.Now()
			if now.After(s.until) || now.Sub(s.last) > s.gap {
				s.state = ranOut
				return false
			}
			s.last = now
		}
	}
}

// waitBulk waits in the kernel, up to s.wait, for more of a bulk transfer,
// and reports whether it did.
//
// A goroutine parked in the runtime's poller runs only once its process
// has nothing else queued to run, and while a collection's sweeping
// finishes, the background sweeper yields to itself in a loop that keeps
// the queue full for milliseconds at a time (golang/go#56060): collections
// come every few calls when megabytes change hands. A thread that comes
// back from a system call queues behind at most one turn of that loop. The
// runtime hands this thread's CPU to other goroutines meanwhile, as for any
// system call that blocks. A deadline set or a close made during the wait
// takes effect when the wait ends.
//
// A process that may run on one CPU only (s.yield) does not wait: that
// loop needs a second P, and with one, the runtime takes the P back from
// the thread blocked here and wakes another thread to look for work, which
// costs more than parking at once.
func (s *spinReader) waitBulk(fd uintptr) bool {
	if !canWaitInKernel || s.yield {
		return false
	}
	s.state = waited
	waitReadable(fd, s.wait)
	return true
}
