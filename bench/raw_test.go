package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/uactor-go/uactor/internal/sockbuf"
)

// The floors: what the same exchanges cost with no library at all.
//
// raw: sequential ping-pong of length-prefixed frames (4-byte big-endian
// length, then the payload), as in the core module's benchmarks.
//
// rawmux: many callers on one connection, the least a multiplexed client
// can do: each frame carries an id (4-byte length of the payload, 8-byte
// id, payload); one reader goroutine hands replies to their callers, and one
// writer goroutine writes whatever frames the callers queued since its last
// write in a single syscall. The server echoes in its reader goroutine and
// writes its replies once it has no more complete request frames buffered.

// rawClient is the sequential floor's client: one writev of header and
// payload, one read of the reply into a buffer it reuses. Not safe for
// concurrent use; the reply is valid until the next call.
type rawClient struct {
	c     net.Conn
	hdr   [4]byte
	iov   [2][]byte // backs vec: WriteTo consumes vec from the front
	vec   net.Buffers
	reply []byte
}

func (rc *rawClient) echo(_ context.Context, req []byte) ([]byte, error) {
	binary.BigEndian.PutUint32(rc.hdr[:], uint32(len(req)))
	rc.iov = [2][]byte{rc.hdr[:], req}
	rc.vec = rc.iov[:]
	if _, err := rc.vec.WriteTo(rc.c); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(rc.c, rc.hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(rc.hdr[:]))
	if cap(rc.reply) < n {
		rc.reply = make([]byte, n)
	}
	rc.reply = rc.reply[:n]
	if _, err := io.ReadFull(rc.c, rc.reply); err != nil {
		return nil, err
	}
	return rc.reply, nil
}

// dialRaw is dialUnix for a raw floor: its end asks for the send buffer
// that uactor's connections ask for, as the server's end does, so that the
// floor differs from uactor only by the library.
func dialRaw(tb testing.TB, path string) net.Conn {
	tb.Helper()
	c := dialUnix(tb, path)
	sockbuf.Size(c)
	return c
}

func startRaw(tb testing.TB) echoFunc {
	rc := &rawClient{c: dialRaw(tb, startServer(tb, "raw"))}
	return rc.echo
}

const muxHeader = 12 // 4-byte payload length, 8-byte call id

// serveRawMux echoes multiplexed frames on each connection, writing the
// replies to all the complete frames it has read in one syscall.
func serveRawMux(ln net.Listener) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			r := bufio.NewReaderSize(c, 64<<10)
			var out []byte
			for {
				// Flush before a read that may block: no complete frame is buffered.
				if len(out) > 0 && !completeFrame(r) {
					if _, err := c.Write(out); err != nil {
						return
					}
					out = out[:0]
				}
				var h [muxHeader]byte
				if _, err := io.ReadFull(r, h[:]); err != nil {
					return
				}
				n := int(binary.BigEndian.Uint32(h[:4]))
				out = append(out, h[:]...)
				out = append(out, make([]byte, n)...) // no allocation: append grows out
				if _, err := io.ReadFull(r, out[len(out)-n:]); err != nil {
					return
				}
			}
		}()
	}
}

// completeFrame reports whether r holds a whole multiplexed frame without reading.
func completeFrame(r *bufio.Reader) bool {
	if r.Buffered() < muxHeader {
		return false
	}
	h, _ := r.Peek(muxHeader)
	return r.Buffered() >= muxHeader+int(binary.BigEndian.Uint32(h[:4]))
}

// rawMux is the multiplexed floor's client, safe for concurrent use.
type rawMux struct {
	c    net.Conn
	kick chan struct{} // wakes the writer; capacity 1
	done chan struct{} // closed by close

	mu      sync.Mutex
	out     []byte // frames queued for the writer
	nextID  uint64
	pending map[uint64]chan []byte
	err     error // set once the connection failed
}

var replyChans = sync.Pool{New: func() any { return make(chan []byte, 1) }}

func newRawMux(c net.Conn) *rawMux {
	m := &rawMux{c: c, kick: make(chan struct{}, 1), done: make(chan struct{}), pending: map[uint64]chan []byte{}}
	go m.writeLoop()
	go m.readLoop()
	return m
}

func (m *rawMux) echo(ctx context.Context, req []byte) ([]byte, error) {
	ch := replyChans.Get().(chan []byte)
	m.mu.Lock()
	if m.err != nil {
		m.mu.Unlock()
		return nil, m.err
	}
	id := m.nextID
	m.nextID++
	m.pending[id] = ch
	var h [muxHeader]byte
	binary.BigEndian.PutUint32(h[:4], uint32(len(req)))
	binary.BigEndian.PutUint64(h[4:], id)
	m.out = append(append(m.out, h[:]...), req...)
	m.mu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default: // the writer is already due to run
	}
	select {
	case b, ok := <-ch:
		if !ok {
			return nil, m.failure()
		}
		replyChans.Put(ch)
		return b, nil
	case <-ctx.Done():
		m.mu.Lock()
		delete(m.pending, id) // the reader may have taken it already: ch is then dropped
		m.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (m *rawMux) failure() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// fail records err and wakes every waiting caller.
func (m *rawMux) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil {
		m.err = fmt.Errorf("rawmux: %w", err)
	}
	for id, ch := range m.pending {
		close(ch)
		delete(m.pending, id)
	}
}

func (m *rawMux) writeLoop() {
	var mine []byte
	for {
		select {
		case <-m.kick:
		case <-m.done:
			return
		}
		m.mu.Lock()
		mine, m.out = m.out, mine[:0]
		m.mu.Unlock()
		if len(mine) == 0 {
			continue
		}
		if _, err := m.c.Write(mine); err != nil {
			m.fail(err)
			return
		}
	}
}

func (m *rawMux) readLoop() {
	r := bufio.NewReaderSize(m.c, 64<<10)
	for {
		var h [muxHeader]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			m.fail(err)
			return
		}
		b := make([]byte, binary.BigEndian.Uint32(h[:4]))
		if _, err := io.ReadFull(r, b); err != nil {
			m.fail(err)
			return
		}
		id := binary.BigEndian.Uint64(h[4:])
		m.mu.Lock()
		ch, ok := m.pending[id]
		delete(m.pending, id)
		m.mu.Unlock()
		if !ok {
			continue // abandoned by its caller
		}
		ch <- b
	}
}

// close stops both goroutines and fails the calls still waiting.
func (m *rawMux) close() {
	close(m.done)
	m.c.Close()
	m.fail(errors.New("closed"))
}

func startRawMux(tb testing.TB) echoFunc {
	m := newRawMux(dialRaw(tb, startServer(tb, "rawmux")))
	tb.Cleanup(m.close)
	return m.echo
}
