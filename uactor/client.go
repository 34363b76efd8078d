package uactor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/capture"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/hmac"
	"golang.org/x/sync/semaphore"
)

// clientConn is one authenticated connection to an actor, carrying many
// concurrent calls matched by id. One goroutine reads replies; callers write
// their own frames through the coalescing frame.Writer, so a lone call costs
// one write and no goroutine hop on the way out.
type clientConn struct {
	nc      net.Conn
	w       *frame.Writer
	r       *frame.Reader
	addr    address
	actorID uuid.UUID
	keyID   capture.KeyID // the actor's id for the key
	nextID  atomic.Uint64
	broken  atomic.Bool
	slots   *semaphore.Weighted // bounds calls in flight (MaxInFlight)
	ka      *keepalive
	log     *slog.Logger

	mu      sync.Mutex
	pending map[uint64]*call
	err     error       // why the connection broke; set once
	onEnd   func(error) // told why, once the connection broke (see onClose)
}

// call is one call waiting for its reply; pooled.
type call struct {
	done chan struct{} // one send per use
	typ  frame.Type
	buf  *frame.Buffer
	err  error
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// dialConn dials a, and authenticates with key the actor expect (zero: any).
func dialConn(ctx context.Context, a address, key []byte, expect uuid.UUID, o options) (*clientConn, error) {
	nc, err := dialAddress(ctx, a, o.dialTimeout)
	if err != nil {
		return nil, err
	}
	want := features(o)
	sess, err := hmac.Client(nc, hmac.ClientConfig{Key: key, Want: want, ExpectID: expect, Deadline: handshakeDeadline(o)})
	if err != nil {
		nc.Close()
		logHandshake(o.log(), "client", a.String(), err)
		return nil, handshakeError(a, err)
	}
	keyring.Learn(key, sess.KeyID) // refs to actors there name the key by it
	o.log().Debug("uactor: connection opened", "role", "client", "peer", a.String())
	return newClientConn(nc, a, sess, o), nil
}

// newClientConn runs calls over nc, set up as sess agreed, to the actor at a.
func newClientConn(nc net.Conn, a address, sess *hmac.Session, o options) *clientConn {
	c := &clientConn{
		nc:      nc,
		w:       frame.NewWriter(withWriteTimeout(nc, o.write), o.maxFrame),
		r:       frame.NewReader(nc, o.maxFrame),
		addr:    a,
		actorID: uuid.UUID(sess.ActorID),
		keyID:   capture.KeyID(sess.KeyID),
		slots:   semaphore.NewWeighted(int64(o.inflight)),
		pending: map[uint64]*call{},
		log:     o.log(),
	}
	agree(sess, c.r, c.w, o)
	c.ka = startKeepalive(o.keepalive, func() {
		c.w.WriteFrame(frame.Header{Type: frame.TypePing})
	}, func() {
		c.close(silentError{fmt.Errorf("%w: %s sent nothing for %v, not even a pong", ErrActorDied, a, 2*o.keepalive)})
	})
	go c.readLoop()
	return c
}

// silentError marks a connection that keepalive cut off: the actor is alive
// enough to hold its socket open, and too stuck to answer.
type silentError struct{ error }

func (e silentError) Unwrap() error { return e.error }

// onClose has f called, once, with the reason the connection breaks; if it
// is broken already, onClose returns why instead.
func (c *clientConn) onClose(f func(error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.onEnd = f
	return nil
}

// handshakeError maps the handshake's failures onto the public errors.
func handshakeError(a address, err error) error {
	switch {
	case errors.Is(err, hmac.ErrAuth):
		return fmt.Errorf("%w (%w)", &AuthKeyError{Address: a.String()}, err)
	case errors.Is(err, hmac.ErrWrongActor):
		return fmt.Errorf("uactor: %s: %w (%w)", a, ErrWrongActor, err)
	case errors.Is(err, hmac.ErrNotUactor), errors.Is(err, hmac.ErrVersion), errors.Is(err, hmac.ErrProtocol):
		return fmt.Errorf("uactor: %s: %w: %w", a, ErrProtocol, err)
	}
	return fmt.Errorf("uactor: handshake with %s: %w", a, err)
}

// roundTrip sends one call and waits for its reply frame, which the caller
// must Release. An error frame is decoded into the error returned.
func (c *clientConn) roundTrip(ctx context.Context, method string, prefix, req []byte) (*frame.Buffer, error) {
	if err := c.slots.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("uactor: %s: waiting for a call slot: %w", method, err)
	}
	var ext *[]byte // the call context, if ctx has a deadline or metadata
	if _, ok := ctx.Deadline(); ok || metadataOf(ctx) != nil {
		ext = getScratch()
		var err error
		if *ext, err = appendCallContext((*ext)[:0], ctx); err != nil {
			putScratch(ext)
			c.slots.Release(1)
			return nil, fmt.Errorf("uactor: %s: %w", method, err)
		}
	}
	cl := callPool.Get().(*call)
	id := c.nextID.Add(1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		callPool.Put(cl)
		c.slots.Release(1)
		if ext != nil {
			putScratch(ext)
		}
		return nil, fmt.Errorf("uactor: %s: %w", method, err)
	}
	c.pending[id] = cl
	c.mu.Unlock()

	var err error
	if ext == nil {
		err = c.w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, prefix, req)
	} else { // the context replaces the prefix's zero context byte
		err = c.w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, *ext, prefix[1:], req)
		putScratch(ext)
	}
	if err != nil {
		if errors.Is(err, frame.ErrTooLarge) {
			c.forget(id)
			callPool.Put(cl)
			c.slots.Release(1)
			return nil, fmt.Errorf("uactor: %s: request: %w", method, err)
		}
		c.close(fmt.Errorf("%w: %w", ErrActorDied, err)) // fails every pending call, ours too
	}
	select {
	case <-cl.done:
	case <-ctx.Done():
		if c.abandon(id) {
			c.w.WriteFrame(frame.Header{Type: frame.TypeCancel, ID: id})
			callPool.Put(cl)
			return nil, fmt.Errorf("uactor: %s: %w", method, ctx.Err())
		}
		<-cl.done // the reply won the race; take it
	}
	c.slots.Release(1)
	typ, buf, err := cl.typ, cl.buf, cl.err
	cl.buf, cl.err = nil, nil
	callPool.Put(cl)
	switch {
	case err != nil:
		return nil, fmt.Errorf("uactor: %s: %w", method, err)
	case typ == frame.TypeError:
		defer buf.Release()
		return nil, decodeError(method, buf.B)
	}
	return buf, nil
}

// abandoned stands in the pending table for a call whose caller gave up: it
// keeps the call's slot until the actor answers it (or the connection ends),
// since until then the call still counts against the actor's own bound.
var abandoned = &call{}

// abandon marks a pending call abandoned, reporting whether it was still pending.
func (c *clientConn) abandon(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.pending[id]; !ok {
		return false
	}
	c.pending[id] = abandoned
	return true
}

// forget removes a pending call, reporting whether it was still pending.
func (c *clientConn) forget(id uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pending[id]
	delete(c.pending, id)
	return ok
}

func (c *clientConn) readLoop() {
	for {
		h, buf, err := c.r.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				err = io.EOF
			}
			c.close(fmt.Errorf("%w: %s: %w", ErrActorDied, c.addr, err))
			return
		}
		c.ka.saw()
		switch h.Type {
		case frame.TypeReply, frame.TypeError:
			c.mu.Lock()
			cl := c.pending[h.ID]
			delete(c.pending, h.ID)
			c.mu.Unlock()
			if cl == nil || cl == abandoned { // the caller gave up: the late answer is dropped
				buf.Release()
				if cl == abandoned {
					c.slots.Release(1)
				}
				continue
			}
			cl.typ, cl.buf = h.Type, buf
			cl.done <- struct{}{}
			// Let the caller run before this goroutine reads again (see the
			// actor's reader): pinned 64 B calls 26.3 -> 25.2 us.
			runtime.Gosched()
		case frame.TypePing:
			buf.Release()
			c.w.WriteFrame(frame.Header{Type: frame.TypePong, ID: h.ID})
		case frame.TypePong:
			buf.Release()
		default:
			buf.Release()
			c.close(fmt.Errorf("%w: %s sent an unexpected %v frame", ErrProtocol, c.addr, h.Type))
			return
		}
	}
}

// close breaks the connection for good, failing every pending call with err.
func (c *clientConn) close(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	c.broken.Store(true)
	c.ka.stop()
	pending := c.pending
	c.pending = nil
	onEnd := c.onEnd
	c.mu.Unlock()
	c.nc.Close()
	logConnEnd(c.log, "client", c.addr.String(), err)
	for _, cl := range pending {
		if cl == abandoned {
			c.slots.Release(1)
			continue
		}
		cl.err = err
		cl.done <- struct{}{}
	}
	if onEnd != nil {
		onEnd(err)
	}
}
