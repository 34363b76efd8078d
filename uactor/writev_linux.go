package uactor

import (
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// vecWriter writes a deadlineConn's net.Buffers with writev system calls of
// its own, as net.Buffers' WriteTo does, and adds what each one wrote to
// the connection's count as it goes (see writeWaiting).
type vecWriter struct {
	sent *atomic.Uint64
	v    *net.Buffers // the write's argument, consumed as it goes
	n    int64
	err  error
	iov  []syscall.Iovec
	more func(fd uintptr) bool // writeMore, bound once
}

// maxIovecs is the most slices one writev takes (the system's IOV_MAX).
const maxIovecs = 1024

func (w *vecWriter) init(sent *atomic.Uint64) {
	w.sent, w.more = sent, w.writeMore
}

// write writes v to c, whose deadline begin set, and returns what
// net.Buffers' WriteTo would.
func (w *vecWriter) write(c *deadlineConn, v *net.Buffers) (int64, error) {
	if c.rc == nil {
		n, err := v.WriteTo(c.Conn)
		c.sent.Add(uint64(n))
		return n, err
	}
	w.v, w.n, w.err = v, 0, nil
	err := c.rc.Write(w.more)
	n := w.n
	if err == nil && w.err != nil {
		err = c.opError("writev", w.err)
	}
	clear(w.iov[:cap(w.iov)]) // do not keep the caller's slices alive
	w.v, w.err = nil, nil
	return n, err
}

// writeMore is write's attempt each time the socket has room, made with the
// descriptor locked: true once everything is written or the system failed
// it, false to wait for room.
func (w *vecWriter) writeMore(fd uintptr) bool {
	for {
		w.iov = w.iov[:0]
		for _, p := range *w.v {
			if len(p) == 0 {
				continue
			}
			if len(w.iov) == maxIovecs {
				break
			}
			var iv syscall.Iovec
			iv.Base = &p[0]
			iv.SetLen(len(p))
			w.iov = append(w.iov, iv)
		}
		if len(w.iov) == 0 {
			return true
		}
		r, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&w.iov[0])), uintptr(len(w.iov)))
		m := int64(r)
		if e != 0 {
			m = 0
		}
		if m > 0 {
			w.n += m
			w.sent.Add(uint64(m))
			consume(w.v, m)
		}
		switch {
		case e == syscall.EINTR:
		case e == syscall.EAGAIN:
			return false
		case e != 0:
			w.err = os.NewSyscallError("writev", e)
			return true
		case m == 0:
			w.err = io.ErrUnexpectedEOF
			return true
		}
	}
}

// consume drops the first n bytes of v, as net.Buffers' WriteTo does.
func consume(v *net.Buffers, n int64) {
	for len(*v) > 0 {
		ln := int64(len((*v)[0]))
		if ln > n {
			(*v)[0] = (*v)[0][n:]
			return
		}
		n -= ln
		(*v)[0] = nil
		*v = (*v)[1:]
	}
}
