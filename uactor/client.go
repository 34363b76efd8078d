package uactor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/internal/keyring"
	"github.com/uactor-go/uactor/internal/sockbuf"
)

// clientConn is one authenticated connection to an actor, carrying many
// concurrent calls matched by id. Callers write their own frames through the
// coalescing frame.Writer, and read replies themselves whenever nobody else
// is reading (clientread.go): a lone call costs one write, one read and no
// goroutine hop.
type clientConn struct {
	nc      net.Conn
	wc      *deadlineConn // nc, as w writes to it
	w       *frame.Writer
	r       *frame.Reader // read only by the goroutine holding the read role
	addr    address
	actorID uuid.UUID
	keyID   keyring.KeyID // the actor's id for the key
	calls   atomic.Int32  // calls in flight, for the writer's hint
	broken  atomic.Bool
	slots   *callSlots     // bounds calls in flight (MaxInFlight)
	window  *requestWindow // bounds their request bytes by the actor's ConnBuffer; nil: none announced
	ka      *keepalive
	log     *slog.Logger

	mu        sync.Mutex
	pending   pendingCalls // the calls awaiting answers, and abandoned ones until theirs come
	err       error        // why the connection broke; set once
	onEnd     func(error)  // told why, once the connection broke (see onClose)
	reader    *call        // holds the read role: a caller, watcher, or nil when nobody reads
	lastUse   time.Time    // when the last call began
	idle      *clockJob    // runs idleCheck (see watchAfter); nil on the owner's connection
	armed     bool         // idle is on the clock
	intr      interrupter  // the reading caller's context, armed to interrupt its read
	followers ctxWatch     // a context that callers waiting for their replies share (follow)
	peek      peekState    // probe's
}

// call is one call waiting for its reply; pooled.
type call struct {
	done     chan bool // at most one send per use, signaled says so: true once answered, false to look again (handed the read role, or its context ended)
	signaled bool      // a send on done is outstanding (under clientConn.mu)
	answered bool      // typ, buf and err are set (under clientConn.mu)
	waiting  bool      // its caller is in await, so may take the read role (under clientConn.mu)
	typ      frame.Type
	buf      *frame.Buffer
	err      error
	win      int64 // the window bytes its request holds
	watchAt  int   // 1 + its index among clientConn.followers' waiters; 0: not there (under clientConn.mu)
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan bool, 1)} }}

// dialConn dials a, connecting by the time by, and authenticates with key
// the actor expect (zero: any). If ctx ends first, it stops, closing what
// it opened.
func dialConn(ctx context.Context, a address, by time.Time, key []byte, expect uuid.UUID, o options) (*clientConn, error) {
	nc, err := dialAddress(ctx, a, by)
	if err != nil {
		return nil, err
	}
	want := features(o)
	// Closing, not a deadline: the handshake sets deadlines of its own.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	sess, err := handshake.Client(nc, handshake.ClientConfig{Key: key, Want: want, MaxFrame: uint32(o.maxFrame), ExpectID: expect, Deadline: handshakeDeadline(o)})
	if !stop() {
		nc.Close()
		return nil, errorf("uactor: dial %s: %w", a, context.Cause(ctx))
	}
	if err != nil {
		nc.Close()
		logHandshake(o.log(), nil, "client", a.String(), err)
		return nil, handshakeError(a, err)
	}
	o.log().Debug("uactor: connection opened", "role", "client", "peer", a.String())
	return newClientConn(nc, a, sess, o, false), nil
}

// newClientConn runs calls over nc, set up as sess agreed, to the actor at a.
// The owner's private connection (owner) gets no watcher while idle: its
// supervisor sees the actor's process end, which is what a watcher would
// notice.
func newClientConn(nc net.Conn, a address, sess *handshake.Session, o options, owner bool) *clientConn {
	sockbuf.Size(nc)
	wc := withWriteTimeout(nc, o.write)
	c := &clientConn{
		nc:      nc,
		wc:      wc,
		w:       frame.NewWriter(wc, o.maxFrame),
		addr:    a,
		actorID: uuid.UUID(sess.ActorID),
		keyID:   keyring.KeyID(sess.KeyID),
		slots:   newCallSlots(o.inflight),
		log:     o.log(),
	}
	// A lone call's reply is worth waiting for awake; under concurrent
	// calls the reader rarely finds the socket empty, and other callers
	// need the CPU.
	in := &counting{Reader: spinning(nc, o.spin, func() bool { return c.calls.Load() == 1 && c.r.Idle() }), rc: wc.rc}
	c.r = frame.NewReader(in, o.maxFrame)
	agree(sess, c.r, c.w, o)
	// Under concurrent calls, a caller about to write yields once so that
	// callers woken by the same burst of replies join its write: on one
	// CPU they could not otherwise, and each call would cost a write.
	c.w.SetOthers(func() bool { return c.calls.Load() > 1 })
	// A write that fails may be no caller's own (the rest of a frame whose
	// caller gave up, a CANCEL, a PING), and frames queued behind it are
	// lost: every call still waiting must fail now, not wait for answers.
	c.w.OnFail(func(err error) { c.close(fmt.Errorf("%w: %w", ErrActorDied, err)) })
	// Requests queued for an actor that reads slowly are bounded as an
	// actor bounds its replies to a slow client; past it, a call waits
	// with its context instead of on the Writer's lock (see ConnBuffer).
	c.w.SetQueueBound(o.connBuffer)
	c.ka = startKeepalive(o.keepalive, c.w, keepaliveHooks{
		pinged: c.watch, // someone must read the pong
		dead: func() {
			c.close(silentError{fmt.Errorf("%w: %s sent nothing for %v, not even a pong", ErrActorDied, a, addSat(o.keepalive, o.keepalive))})
		},
		backlog:  wc.backlog,
		received: in.arrived,
	})
	if sess.Window > 0 {
		c.window = newRequestWindow(sess.Window)
	}
	c.lastUse = time.Now()
	if !owner {
		c.mu.Lock()
		c.armed = true
		c.idle = &clockJob{period: watchAfter, run: c.idleCheck}
		checks.add(c.idle)
		c.mu.Unlock()
	}
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
	case errors.Is(err, handshake.ErrAuth):
		return fmt.Errorf("%w (%w)", &AuthKeyError{Address: a.String()}, err)
	case errors.Is(err, handshake.ErrFull):
		return &fullError{addr: a.String(), err: err}
	case errors.Is(err, handshake.ErrWrongActor):
		return errorf("uactor: %s: %w (%w)", a, ErrWrongActor, err)
	case errors.Is(err, handshake.ErrNotUactor), errors.Is(err, handshake.ErrVersion), errors.Is(err, handshake.ErrProtocol):
		return errorf("uactor: %s: %w: %w", a, ErrProtocol, err)
	}
	return errorf("uactor: %w", err) // the handshake's error names the peer already
}

// roundTrip sends one call and waits for its reply frame, which the caller
// must Release. An error frame is decoded into the error returned.
func (c *clientConn) roundTrip(ctx context.Context, method string, prefix, req []byte) (*frame.Buffer, error) {
	if err := c.slots.acquire(ctx); err != nil {
		return nil, errorf("uactor: %s: waiting for a call slot: %w", method, err)
	}
	var ext *[]byte // the call context, if ctx has a deadline or metadata
	if _, ok := ctx.Deadline(); ok || metadataOf(ctx) != nil {
		ext = getScratch()
		var err error
		if *ext, err = appendCallContext((*ext)[:0], ctx); err != nil {
			putScratch(ext)
			c.slots.release()
			return nil, errorf("uactor: %s: %w", method, err)
		}
	}
	win, alone, err := c.takeWindow(ctx, prefix, req, ext)
	if err != nil {
		if ext != nil {
			putScratch(ext)
		}
		c.slots.release()
		return nil, errorf("uactor: %s: %w", method, err)
	}
	c.calls.Add(1)
	defer c.calls.Add(-1)
	cl := callPool.Get().(*call)
	cl.win = win
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		callPool.Put(cl)
		c.sent(win, alone)
		c.release(win)
		if ext != nil {
			putScratch(ext)
		}
		return nil, errorf("uactor: %s: %w", method, notSent{err})
	}
	id := c.pending.add(cl)
	c.mu.Unlock()

	var seq uint64 // the request's number in the Writer
	if ext == nil {
		seq, err = c.w.WriteFrameNumbered(ctx, frame.Header{Type: frame.TypeCall, ID: id}, prefix, req)
	} else {
		seq, err = c.writeCall(ctx, frame.Header{Type: frame.TypeCall, ID: id}, ext, prefix, req)
		putScratch(ext)
	}
	c.sent(win, alone) // in the Writer's order now
	if err != nil {
		if errors.Is(err, frame.ErrTooLarge) {
			c.forget(id, cl, win)
			return nil, errorf("uactor: %s: %w", method, tooLarge{fmt.Errorf("request: %w", err)})
		}
		if errors.Is(err, frame.ErrQueueFull) { // the caller gave up, or its deadline passed; nothing of it queued
			c.forget(id, cl, win)
			return nil, errorf("uactor: %s: waiting for the connection to take the request: %w", method, ctxEnded(ctx))
		}
		c.close(fmt.Errorf("%w: %w", ErrActorDied, err)) // fails every pending call, ours too
		if errors.Is(err, frame.ErrUnwritten) {
			c.forget(id, cl, win)
			// The connection's first cause, not this write's: a Close
			// that cut the write ends the call as closed, not as died.
			return nil, errorf("uactor: %s: %w", method, notSent{c.cause()})
		}
	}
	if err := c.await(ctx, id, cl); err != nil {
		callPool.Put(cl)
		return nil, errorf("uactor: %s: %w", method, err)
	}
	c.release(win)
	typ, buf, err := cl.typ, cl.buf, cl.err
	cl.buf, cl.err, cl.answered = nil, nil, false
	callPool.Put(cl)
	switch {
	case err != nil && ctx.Err() != nil:
		// The connection failed as the caller gave up (its own write's
		// rest, say, left to the Writer): the call ends as given up, as
		// it would have a moment later.
		return nil, errorf("uactor: %s: %w", method, ctx.Err())
	case err != nil:
		// The connection ended under the call. If the request was only
		// queued, and the write that failed (or found the connection
		// closed) never got to it, the actor cannot have seen it. Flush
		// returns once the write under way ends, which does not wait on
		// the peer: close shuts the connection as it fails the calls.
		if c.w.Flush() != nil && c.w.Unwritten(seq) {
			err = notSent{err}
		}
		return nil, errorf("uactor: %s: %w", method, err)
	case typ == frame.TypeError:
		defer buf.Release()
		return nil, decodeError(method, buf.B)
	}
	return buf, nil
}

// takeWindow waits for room in the actor's window for the request of a
// call (ext, or prefix's zero context byte, then the rest of prefix and
// req: as the actor counts it), and returns the bytes it took and whether
// the call goes alone (see requestWindow), for sent and release. A request
// that is too large for a frame fails first, rather than wait for a turn
// it will not use. If it waited, and ext carries a deadline, ext is made
// again, so that the actor gets the time the caller has left now: it can
// only be shorter.
func (c *clientConn) takeWindow(ctx context.Context, prefix, req []byte, ext *[]byte) (win int64, alone bool, err error) {
	n := len(prefix) + len(req)
	if ext != nil {
		n += len(*ext) - 1
	}
	if err := c.w.CheckSize(n); err != nil {
		return 0, false, tooLarge{fmt.Errorf("request: %w", err)}
	}
	if c.window == nil {
		return 0, false, nil
	}
	waited, alone, err := c.window.take(ctx, int64(n))
	if err != nil {
		return 0, false, fmt.Errorf("waiting for the actor to take more requests: %w", err)
	}
	if waited && ext != nil {
		if *ext, err = appendCallContext((*ext)[:0], ctx); err != nil {
			c.window.give(int64(n))
			c.window.sent(alone)
			return 0, false, err
		}
	}
	return int64(n), alone, nil
}

// writeCall writes a call whose context ext carries, in place of prefix's
// zero context byte. A call with a deadline that must wait for room below
// the Writer's queue bound (see ConnBuffer) has its context made again
// after the wait, as takeWindow does, so that the actor gets the time the
// caller has left when the call is sent, not when it was made. An error
// wrapping frame.ErrQueueFull means nothing of it was queued: ctx ended, or
// its deadline passed, while it waited.
func (c *clientConn) writeCall(ctx context.Context, h frame.Header, ext *[]byte, prefix, req []byte) (uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		return c.w.WriteFrameNumbered(ctx, h, *ext, prefix[1:], req)
	}
	for {
		seq, err := c.w.TryWriteFrameNumbered(ctx, h, *ext, prefix[1:], req)
		if !errors.Is(err, frame.ErrNoRoom) {
			return seq, err
		}
		if err := c.w.WaitRoom(ctx); err != nil {
			return 0, err
		}
		if *ext, err = appendCallContext((*ext)[:0], ctx); err != nil {
			return 0, fmt.Errorf("%w: %w", frame.ErrQueueFull, err)
		}
	}
}

// sent tells the window that a call it let in is with the Writer, in wire
// order, or never will be.
func (c *clientConn) sent(win int64, alone bool) {
	if win > 0 {
		c.window.sent(alone)
	}
}

// release gives back a call's slot and the window bytes of its request.
func (c *clientConn) release(win int64) {
	c.slots.release()
	if win > 0 {
		c.window.give(win)
	}
}

// notSent is the error of a call none of whose request reached the
// connection: it had broken, or broke before the request's first byte. The
// actor cannot have run it, so the ref sends it again, over the next
// connection (see handle.roundTrip).
type notSent struct{ err error }

func (e notSent) Error() string { return e.err.Error() }
func (e notSent) Unwrap() error { return e.err }

// abandoned stands in the pending table for a call whose caller gave up: it
// keeps the call's slot until the actor answers it (or the connection ends),
// since until then the call still counts against the actor's own bound.
var abandoned = &call{}

// forget takes back call id, which was never sent: it leaves the pending
// table, cl goes back to the pool (having passed on the read role if it
// had been handed it meanwhile), and the call's slot and its win bytes of
// the window are given back.
func (c *clientConn) forget(id uint64, cl *call, win int64) {
	c.mu.Lock()
	c.pending.take(id)
	if cl.signaled {
		<-cl.done
		cl.signaled = false
	}
	if c.reader == cl {
		c.passLocked(cl)
	}
	cl.buf.Release()
	cl.buf, cl.err, cl.answered = nil, nil, false
	c.mu.Unlock()
	callPool.Put(cl)
	c.release(win)
}

// cause is why the connection ended, nil while it has not.
func (c *clientConn) cause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
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
	c.intr.disarm()
	c.followers.disarm()
	if c.idle != nil {
		checks.remove(c.idle)
	}
	pending := c.pending
	c.pending.reset()
	for s := range pending.all() {
		cl := s.cl
		if cl == abandoned {
			c.release(s.win)
			continue
		}
		cl.err, cl.answered = err, true
		// The reader finds out from its failed read; a call handed the
		// read role is woken already.
		if cl != c.reader && !cl.signaled {
			cl.signaled = true
			cl.done <- true
		}
	}
	// Nobody reads c.r from now on. A holder of the read role that reads
	// lets go of what it read as it stops (its read fails, or passLocked
	// finds the role taken); with no holder, or a caller handed the role
	// that has not begun to read (signaled), a body left partly read by a
	// reader that gave up on its deadline is let go of here, with its
	// charge to the budget for large bodies.
	if c.reader == nil || c.reader.signaled {
		c.r.Abandon()
	}
	c.reader = nil
	onEnd := c.onEnd
	c.mu.Unlock()
	c.wc.Close() // and nc with it
	logConnEnd(c.log, nil, "client", c.addr.String(), err)
	if onEnd != nil {
		onEnd(err)
	}
}
