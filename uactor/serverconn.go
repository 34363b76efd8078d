package uactor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/hmac"
)

// infoMethod is the built-in method that tells a connecting process which
// actor it reached.
const infoMethod = "uactor.info"

var infoPrefix = append([]byte{byte(len(infoMethod))}, infoMethod...)

// serverConn is one authenticated connection into an actor: one goroutine
// reads it and hands each call to a worker (workers.go); replies go out
// through the coalescing writer.
type serverConn struct {
	s  *server
	nc net.Conn
	w  *frame.Writer
	ka *keepalive

	mu      sync.Mutex
	cancels map[uint64]context.CancelFunc // calls running, by id (MaxInFlight bounds them)
}

func (s *server) serveConn(nc net.Conn) {
	defer s.untrack(nc)
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	sess, err := hmac.Server(nc, hmac.ServerConfig{
		Key: s.key, Offer: features(s.opts), ActorID: s.id, KeyID: s.keyID, Deadline: handshakeDeadline(s.opts),
	})
	if err != nil {
		return // a peer that cannot authenticate gets nothing more
	}
	s.serveSession(nc, sess)
}

// serveOwner serves the owner's private connection (spawn.Process.Conn):
// only the owner holds its other end, so there is nothing to authenticate,
// and frames go plain.
func (s *server) serveOwner(nc net.Conn) {
	if !s.track(nc) {
		nc.Close()
		return
	}
	go func() {
		defer s.untrack(nc)
		s.serveSession(nc, &hmac.Session{ActorID: s.id})
	}()
}

// serveSession reads and runs calls on an authenticated connection.
func (s *server) serveSession(nc net.Conn, sess *hmac.Session) {
	r := frame.NewReader(nc, s.opts.maxFrame)
	c := &serverConn{s: s, nc: nc, w: frame.NewWriter(withWriteTimeout(nc, s.opts.write), s.opts.maxFrame),
		cancels: map[uint64]context.CancelFunc{}}
	agree(sess, r, c.w, s.opts)
	c.ka = startKeepalive(s.opts.keepalive, func() {
		c.w.WriteFrame(frame.Header{Type: frame.TypePing})
	}, func() { nc.Close() }) // a vanished client: free what it held
	defer c.ka.stop()
	defer c.cancelAll()
	for {
		h, buf, err := r.ReadFrame()
		if err != nil {
			return // EOF, a broken frame or a failed seal: the connection is done
		}
		c.ka.saw()
		switch h.Type {
		case frame.TypeCall:
			if !c.dispatch(h.ID, buf) {
				return
			}
		case frame.TypeCancel:
			buf.Release()
			c.mu.Lock()
			cancel := c.cancels[h.ID]
			c.mu.Unlock()
			if cancel != nil {
				cancel()
			}
		case frame.TypePing:
			buf.Release()
			c.w.WriteFrame(frame.Header{Type: frame.TypePong, ID: h.ID})
		case frame.TypePong:
			buf.Release()
		default:
			buf.Release()
			return // not something a client sends: drop the peer
		}
	}
}

// dispatch starts one call; it returns false if the frame is malformed.
func (c *serverConn) dispatch(id uint64, buf *frame.Buffer) bool {
	n, k := binary.Uvarint(buf.B)
	if k <= 0 || n > uint64(len(buf.B)-k) {
		buf.Release()
		return false
	}
	name := buf.B[k : k+int(n)]
	req := buf.B[k+int(n):]
	s := c.s
	if string(name) == infoMethod {
		buf.Release()
		c.w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: id}, s.info())
		return true
	}
	m := s.kind.method(string(name))
	switch {
	case m != nil && !s.beginCall():
		c.fail(id, codeClosed, fmt.Errorf("%w: %s is stopping", ErrClosed, s.kind.name))
		buf.Release()
		return true
	case m == nil:
		c.fail(id, codeMethod, fmt.Errorf("kind %q has no method %q", s.kind.name, name))
		buf.Release()
		return true
	}
	// Not derived from a cancellable parent, which would cost a registration
	// per call: stopping the server cancels calls through their connections.
	ctx, cancel := context.WithCancel(context.Background())
	c.mu.Lock()
	if len(c.cancels) >= s.opts.inflight {
		c.mu.Unlock()
		cancel()
		s.calls.Done()
		buf.Release()
		c.fail(id, codeBusy, fmt.Errorf("%w (%d)", ErrBusy, s.opts.inflight))
		return true
	}
	c.cancels[id] = cancel
	c.mu.Unlock()
	s.start(job{c, ctx, id, m, buf, req})
	// Let the worker run before this goroutine reads again: on one core the
	// reply then goes out before the next read, which most often only
	// returns EAGAIN. Measured: 64 B calls pinned 29.1 -> 27.6 us, no change
	// with 64 callers.
	runtime.Gosched()
	return true
}

// run runs one call, whose request is req (in buf, released once it is decoded).
func (c *serverConn) run(ctx context.Context, id uint64, m *methodEntry, buf *frame.Buffer, req []byte) {
	defer c.s.calls.Done()
	if err := ctx.Err(); err != nil { // cancelled before it started: do not start it
		buf.Release()
		c.done(id)
		c.fail(id, codeHandler, err)
		return
	}
	out := getScratch()
	defer putScratch(out)
	resp, code, err := c.invoke(ctx, m, req, out)
	buf.Release()
	// Out of the in-flight count before the answer leaves: a caller that gets
	// it may call again at once, and must find the slot free.
	c.done(id)
	if err != nil {
		c.fail(id, code, err)
		return
	}
	if err := c.w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: id}, resp); err != nil {
		if errors.Is(err, frame.ErrTooLarge) {
			c.fail(id, codeHandler, fmt.Errorf("response: %w", err))
			return
		}
		c.nc.Close() // a peer that stopped reading, or a broken connection: done
	}
}

// done takes a call out of the in-flight table and releases its context.
func (c *serverConn) done(id uint64) {
	c.mu.Lock()
	cancel := c.cancels[id]
	delete(c.cancels, id)
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (c *serverConn) invoke(ctx context.Context, m *methodEntry, req []byte, out *[]byte) (resp []byte, code byte, err error) {
	s := c.s
	if s.opts.serial {
		s.serialMu.Lock()
		defer s.serialMu.Unlock()
	}
	defer func() {
		if r := recover(); r != nil {
			resp, code, err = nil, codePanic, fmt.Errorf("panic: %v", r)
		}
	}()
	resp, err = m.invoke(ctx, s.actor, req, out)
	if err != nil {
		if _, bad := err.(requestError); bad {
			return resp, codeDecode, err
		}
		return resp, codeHandler, err
	}
	return resp, 0, nil
}

func (c *serverConn) fail(id uint64, code byte, err error) {
	b := getScratch()
	defer putScratch(b)
	*b = appendError((*b)[:0], code, err)
	c.w.WriteFrame(frame.Header{Type: frame.TypeError, ID: id}, *b)
}

func (c *serverConn) cancelAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cancel := range c.cancels {
		cancel()
	}
}
