package uactor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/internal/sockbuf"
)

// serverConn is one authenticated connection into an actor. One goroutine
// at a time reads it and runs the calls it reads (serverread.go), or hands
// those of methods that block to workers (workers.go); replies go out
// through the coalescing writer.
//
// What a peer can make the actor hold is bounded per connection: calls in
// flight (MaxInFlight; a call holds its slot until its reply has left),
// request bytes of unfinished calls and reply bytes queued (ConnBuffer).
// Past a bound the reader stops reading the connection until it drains
// (serverwait.go).
type serverConn struct {
	s    *server
	nc   net.Conn
	r    *frame.Reader // read only by the goroutine holding the read role
	w    *frame.Writer
	ka   *keepalive
	dead chan struct{} // closed when keepalive gives up on the peer
	log  connLog

	freed chan struct{} // a call ended or released request bytes (one pending signal)

	role      atomic.Uint64               // who holds the read role while a call runs inline, and for which call (inline.go)
	inlineM   atomic.Pointer[methodEntry] // the method of the call run inline last
	inlineSeq atomic.Uint64               // calls run inline so far
	seenSeq   uint64                      // inlineSeq at the watchdog's last tick; the watchdog's own

	ctxs callCtxs // used by the reader

	// Used by the reader: the calls read since it last found its buffer
	// empty, and whether the burst before was one call (due, spinread.go).
	burst int
	lone  bool

	mu      sync.Mutex
	cancels map[uint64]*callCtx // calls in flight, by id (MaxInFlight bounds them)
	held    int                 // request bytes of calls not finished
	leaving int                 // calls whose reply is on its way out
	waiting bool                // the reader waits for held or leaving to drop (wait)
	peeking bool                // … while it reads for the next frame's length (waitOrEmpty)

	// The stop's, after the fields a call uses. goneAway is set once
	// GOAWAY has left and the sending side is shut: a write failing then
	// does not close the connection, and the reader drains it until
	// drainEnd at most (sayGoAway, drainOn).
	goneAway atomic.Bool
	drainEnd time.Time // set before goneAway
	in       *counting // what the reader reads through, and counts
	// Used by the reader once goneAway (drainOn): whether it has looked
	// at the peer, and how many bytes had arrived then.
	drainLooked bool
	drainSeen   uint64
}

func (s *server) serveConn(hc *hsConn) {
	nc := hc.Conn
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	admitted := false
	sess, err := handshake.Server(hc, handshake.ServerConfig{
		Key: s.key, Offer: features(s.opts), ActorID: s.id, KeyID: s.keyID, Window: window(s.opts), MaxFrame: uint32(s.opts.maxFrame), Deadline: handshakeDeadline(s.opts),
		Penalty: func() { s.penalty(hc) },
		// Before the verdict, so that a key holder the actor has no room
		// for is told so, rather than accepted and hung up on.
		Admit: func() error {
			err := s.authenticated(hc)
			admitted = err == nil
			return err
		},
	})
	s.leftHandshake(hc)
	if err != nil {
		if admitted { // but its verdict did not leave
			s.untrack(nc)
		}
		switch {
		case errors.Is(err, handshake.ErrFull):
			s.logFull(peerName(nc))
		case errors.Is(err, errStopping):
		default:
			logHandshake(s.opts.log(), &s.hsLogs, "server", peerName(nc), err)
		}
		s.dropHandshake(hc) // a peer that cannot authenticate gets nothing more
		return
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
	go s.serveSession(nc, &handshake.Session{ActorID: s.id})
}

// serveSession reads and runs calls on an authenticated connection, until
// it ends or another goroutine reads it; then this one turns worker.
func (s *server) serveSession(nc net.Conn, sess *handshake.Session) {
	sockbuf.Size(nc)
	wc := withWriteTimeout(nc, s.opts.write)
	c := &serverConn{s: s, nc: nc,
		w:    frame.NewWriter(wc, s.opts.maxFrame),
		dead: make(chan struct{}), freed: make(chan struct{}, 1), cancels: map[uint64]*callCtx{}}
	in := &counting{Reader: spinning(nc, s.opts.spin, c.due), rc: wc.rc}
	c.in = in
	c.r = frame.NewReader(in, s.opts.maxFrame)
	agree(sess, c.r, c.w, s.opts)
	// A failed write may be no answer's own (answers held back and written
	// by the reader, the rest of a PING or PONG, what the watchdog
	// kicked): the connection is closed all the same, so that the reader
	// ends and the peer is not left waiting on a truncated frame.
	// After GOAWAY (sayGoAway), nothing more goes out, and the reader
	// decides when the connection ends (drainOn).
	c.w.OnFail(func(error) {
		if !c.goneAway.Load() {
			nc.Close()
		}
	})
	c.log = connLog{log: s.opts.log(), peer: peerName(nc)}
	c.log.log.Debug("uactor: connection opened", "role", "server", "peer", c.log.peer, "kind", s.kind.name)
	c.ka = startKeepalive(s.opts.keepalive, c.w, keepaliveHooks{
		dead:     func() { c.log.silent.Store(true); close(c.dead); nc.Close() }, // a vanished client: free what it held
		hungUp:   func() bool { gone := peerHungUp(nc); c.log.hungUp.Store(gone); return gone },
		backlog:  wc.backlog,
		received: in.arrived,
	})
	if h := testHookServing.Load(); h != nil {
		(*h)(s)
	}
	if !s.inline.add(c) {
		// Its verdict went out as the stop began, which has told the
		// connections it serves GOAWAY already: this one is told here.
		s.sayGoAway([]*serverConn{c}, time.Now().Add(goAwayDrain))
	}
	c.readOn()
}

// testHookServing, if set, runs as a connection whose handshake is done
// is about to be served: tests hold it there.
var testHookServing atomic.Pointer[func(*server)]

// end frees what the connection held, once its reader has found it done
// because of err, and logs why.
func (c *serverConn) end(err error) {
	// Read no more: a body partly read (the drain's bound ends a
	// connection on a read deadline, which keeps it) gives its charge to
	// the process's budget for large bodies back now, not once the
	// connection is collected.
	c.r.Abandon()
	c.s.inline.remove(c)
	c.ka.stop()
	c.cancelAll()
	c.s.untrack(c.nc)
	// A key holder can be dropped as silent or hung up connection after
	// connection, so those records are limited as the Warn ones are.
	switch {
	case c.log.hungUp.Load():
		if args, ok := c.s.hungUpLogs.admit([]any{"role", "server", "peer", c.log.peer}); ok {
			c.log.log.Info("uactor: dropped a peer that hung up while its calls held the connection's buffer or slots", args...)
		}
		return
	case c.log.silent.Load():
		if args, ok := c.s.silentLogs.admit([]any{"role", "server", "peer", c.log.peer, "after", addSat(c.s.opts.keepalive, c.s.opts.keepalive)}); ok {
			c.log.log.Info("uactor: dropped silent peer", args...)
		}
		return
	case c.goneAway.Load():
		// The actor stopped, and told the peer: however the connection
		// ended then (the drain's bound, say), the peer did nothing wrong.
		c.log.log.Debug("uactor: connection closed after GOAWAY", "role", "server", "peer", c.log.peer, "err", err)
		return
	}
	logConnEnd(c.log.log, &c.s.drops, "server", c.log.peer, err)
}

// connLog is what a connection's end is logged with.
type connLog struct {
	log    *slog.Logger
	peer   string
	silent atomic.Bool // keepalive gave up on the peer
	hungUp atomic.Bool // … because it hung up while the reader waited for ConnBuffer or a slot
}

// errMalformedCall ends a connection whose peer sent a CALL frame that
// does not parse.
var errMalformedCall = fmt.Errorf("%w: malformed CALL frame", ErrProtocol)

// incoming is one call, as dispatch prepared it.
type incoming struct {
	ctx *callCtx
	id  uint64
	m   *methodEntry
	buf *frame.Buffer
	req []byte // the request, within buf
	// turn is the call's place in a Serial actor's queue, taken as the
	// call arrives; nil unless Serial.
	turn *serialTurn
}

// dispatch prepares one call, which the caller runs or hands to a worker.
// An error ends the connection: the frame is malformed or breaks the
// protocol, or the connection ended while the call waited for a slot
// (errConnDone). A zero call (nil m) was answered at once.
func (c *serverConn) dispatch(id uint64, buf *frame.Buffer) (incoming, error) {
	var cc callContext
	p := buf.B
	if len(p) > 0 && p[0] == 0 { // no deadline, no metadata
		p = p[1:]
	} else {
		var err error
		if cc, p, err = parseCallContext(p, time.Now()); err != nil {
			buf.Release()
			return incoming{}, errMalformedCall
		}
	}
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		buf.Release()
		return incoming{}, errMalformedCall
	}
	name := p[k : k+int(n)]
	req := p[k+int(n):]
	s := c.s
	if err := c.waitSlot(id); err != nil {
		buf.Release()
		return incoming{}, err
	}
	if string(name) == infoMethod {
		buf.Release()
		if s.draining.Load() { // as every CALL is then: a Connect must not take a stopping actor
			c.refuseStopping(id)
			return incoming{}, nil
		}
		err := c.readerWrite(func() error { return c.w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: id}, s.info()) })
		if errors.Is(err, frame.ErrTooLarge) {
			c.fail(id, codeHandler, tooLarge{fmt.Errorf("response: %w", err)}) // over the caller's bound
		}
		return incoming{}, nil
	}
	m := s.kind.method(string(name))
	switch {
	case m != nil && !s.beginCall():
		c.refuseStopping(id)
		buf.Release()
		return incoming{}, nil
	case m == nil && s.draining.Load():
		// As every CALL then is, whatever its method: code 3 would tell
		// the caller no actor of the kind has it, not that this one stops.
		c.refuseStopping(id)
		buf.Release()
		return incoming{}, nil
	case m == nil:
		const quoted = 64 // of the name the peer sent: its error need not echo megabytes
		if len(name) > quoted {
			name = append(name[:quoted:quoted], "…"...)
		}
		c.fail(id, codeMethod, fmt.Errorf("kind %q has no method %q", s.kind.name, name))
		buf.Release()
		return incoming{}, nil
	}
	ctx := c.ctxs.next(cc)
	c.mu.Lock()
	if len(c.cancels) >= s.opts.inflight {
		c.mu.Unlock()
		s.calls.Done()
		buf.Release()
		c.fail(id, codeBusy, fmt.Errorf("%w (%d)", ErrBusy, s.opts.inflight))
		return incoming{}, nil
	}
	c.cancels[id] = ctx
	c.held += len(buf.B)
	c.mu.Unlock()
	var turn *serialTurn
	if s.opts.serial {
		turn = s.serial.take()
	}
	return incoming{ctx: ctx, id: id, m: m, buf: buf, req: req, turn: turn}, nil
}

// refuseStopping answers call id as every call that arrives while the
// actor stops is answered (ERROR code 4).
func (c *serverConn) refuseStopping(id uint64) {
	c.fail(id, codeClosed, fmt.Errorf("%w: %s is stopping", ErrClosed, c.s.kind.name))
}

// run runs one call, whose request is req (in buf, released once the
// handler returned, or for a Lent once its answer is out too, and, if an
// interceptor left the handler running, once that returns). The call
// keeps its slot until its answer has left or been dropped, so that
// replies queued for a peer that does not read are bounded by MaxInFlight
// as well as by ConnBuffer. With hold, its answer is queued to go out with
// the next write (see serverread.go); ConnBuffer bounds such answers.
func (c *serverConn) run(cl incoming, hold bool) {
	ctx, id, m, buf, req := cl.ctx, cl.id, cl.m, cl.buf, cl.req
	var ch *callHold
	if c.s.intercept != nil { // its handler may run on after the answer: ch counts the call done
		ch = newCallHold(c, cl.turn)
		defer ch.end()
	} else {
		defer c.s.calls.Done()
	}
	defer c.done(id)
	held := len(buf.B)
	if err := ctx.Err(); err != nil { // cancelled or expired before it started: do not start it
		c.s.serial.leave(cl.turn)
		buf.Release()
		c.release(held)
		c.leave(ctx)
		c.answer(hold, id, notStarted(err), nil, err)
		return
	}
	out := getScratch()
	defer putScratch(out)
	if m.lends && ch != nil {
		ch.lend(buf, held)
	}
	exited := true // until invoke returns: its handler may end the goroutine instead
	defer func() {
		if exited {
			c.goexited(cl, held, ch)
		}
	}()
	resp, code, err := c.invoke(ctx, m, req, buf.Own(), out, cl.turn, ch)
	exited = false
	if !m.lends {
		buf.Release() // decoded: what the handler kept is its own
		c.release(held)
	}
	c.leave(ctx)
	c.answer(hold, id, code, resp, err) // copied or written once it returns
	if m.lends {
		// resp may be the lent request: only now is it free. Until then
		// it counts in ConnBuffer, as its answer may wait for a peer that
		// does not read.
		if ch == nil { // else ch gives it back once the handler has returned too
			buf.Recycle()
			c.release(held)
		}
	}
}

// errGoexit is the error of a call whose handler ended its goroutine.
var errGoexit = errors.New("handler called runtime.Goexit (t.FailNow, say) instead of returning")

// goexited answers, as a panic, a call whose handler called runtime.Goexit,
// as its goroutine ends: nothing after invoke in run will run. Its request
// goes back unrecycled (a lent one may still be referred to), and the
// answer is written at once, with what the reader held back before it.
func (c *serverConn) goexited(cl incoming, held int, ch *callHold) {
	if ch != nil && cl.m.lends {
		ch.goexited() // ch gives it back once the call lets go (run's deferred end)
	} else {
		cl.buf.Release()
		c.release(held)
	}
	c.leave(cl.ctx)
	c.answer(false, cl.id, codePanic, nil, errGoexit)
}

// answer sends a call's reply, or its error if err is set, and unless hold
// waits until it has left: within ConnBuffer of queued bytes, it is queued
// behind what is there already.
func (c *serverConn) answer(hold bool, id uint64, code byte, resp []byte, err error) {
	if err != nil {
		if code == 0 {
			code = codeHandler
		}
		sendError(id, code, err, func(h frame.Header, p []byte) error { return c.send(hold, h, p) })
		return
	}
	if err := c.send(hold, frame.Header{Type: frame.TypeReply, ID: id}, resp); errors.Is(err, frame.ErrTooLarge) {
		c.answer(hold, id, codeHandler, nil, tooLarge{fmt.Errorf("response: %w", err)})
	}
}

// send writes one answer frame once the queued reply bytes are under the
// bound, and waits until it has been written; with hold it only queues it,
// to go out with the next write. A broken connection, or a peer that
// stopped reading past the write deadline, is closed.
func (c *serverConn) send(hold bool, h frame.Header, payload []byte) error {
	limit := c.s.opts.connBuffer
	var err error
	if c.w.Buffered() >= limit {
		c.w.Kick() // answers held back count too: they go first
		err = c.w.WaitBelow(limit)
	}
	switch {
	case err != nil:
	case hold:
		err = c.w.QueueFrame(h, payload)
	default:
		if err = c.w.WriteFrame(h, payload); err == nil {
			err = c.w.Flush()
		}
	}
	if err != nil && !errors.Is(err, frame.ErrTooLarge) && !c.goneAway.Load() {
		c.nc.Close()
	}
	return err
}

// leave counts the call whose context is ctx among those whose answer is on
// its way out (done counts it back).
func (c *serverConn) leave(ctx *callCtx) {
	c.mu.Lock()
	c.leaving++
	ctx.leaving = true
	c.mu.Unlock()
}

// release gives back n request bytes.
func (c *serverConn) release(n int) {
	c.mu.Lock()
	c.held -= n
	c.signalLocked()
	c.mu.Unlock()
}

// done takes a call out of the in-flight table and ends its context.
func (c *serverConn) done(id uint64) {
	c.mu.Lock()
	ctx := c.cancels[id]
	delete(c.cancels, id)
	c.leaving--
	c.signalLocked()
	c.mu.Unlock()
	if ctx != nil {
		ctx.cancel(context.Canceled)
	}
}

func (c *serverConn) invoke(ctx context.Context, m *methodEntry, req []byte, owned bool, out *[]byte, turn *serialTurn, ch *callHold) (resp []byte, code byte, err error) {
	s := c.s
	if ch != nil {
		defer ch.invoked() // the turn passes on once no run of the handler holds it
	}
	if turn != nil { // Serial: its turn comes after the calls that arrived before it
		if !s.serial.wait(ctx, turn) {
			return nil, notStarted(ctx.Err()), ctx.Err()
		}
		if ch == nil {
			defer s.serial.leave(turn)
		}
		if err := ctx.Err(); err != nil { // it waited its deadline out (or was cancelled) in the queue
			return nil, notStarted(err), err
		}
	}
	// returned, not recover's result, tells a panic from a return: under
	// GODEBUG=panicnil=1 a panic(nil) recovers as nil, and its call would
	// be answered as if the handler had returned a zero response. (A
	// Goexit runs this too, and ends the goroutine all the same.)
	returned := false
	defer func() {
		if r := recover(); !returned {
			resp, code, err = nil, codePanic, fmt.Errorf("panic: %v", r)
		}
	}()
	resp, err = m.invoke(ctx, s.actor, req, owned, out, s.intercept, s.adv, ch)
	returned = true
	if err != nil {
		if _, bad := err.(requestError); bad {
			return resp, codeDecode, err
		}
		if hp := (*handlerPanic)(nil); errors.As(err, &hp) {
			return resp, codePanic, err
		}
		return resp, codeHandler, err
	}
	return resp, 0, nil
}

// notStarted is the error code for a call dropped before its handler ran.
func notStarted(err error) byte {
	if errors.Is(err, context.DeadlineExceeded) {
		return codeExpired
	}
	return codeHandler
}

// fail answers call id with an error, from the reader (see readerWrite).
func (c *serverConn) fail(id uint64, code byte, err error) {
	c.readerWrite(func() error {
		sendError(id, code, err, func(h frame.Header, p []byte) error { return c.w.WriteFrame(h, p) })
		return nil
	})
}

// kick writes the answers held back, from the reader (see readerWrite).
func (c *serverConn) kick() { c.readerWrite(c.w.Kick) }

// readerWrite runs write, a write the reader makes itself. While the peer
// takes none of it, the reader waits for the peer, and what the peer sends
// meanwhile waits unread by its own doing: holdPeer tells the keepalive
// so, which then drops a peer that takes nothing, as it does one that the
// reader waits on for a call slot (waitSlot).
func (c *serverConn) readerWrite(write func() error) error {
	c.ka.holdPeer(true)
	err := write()
	c.ka.holdPeer(false)
	return err
}

// sendError sends call id's error frame with write: err whole, or, if that
// would not fit in a frame, shortened, so that the call still gets its
// answer.
func sendError(id uint64, code byte, err error, write func(frame.Header, []byte) error) {
	b := getScratch()
	defer putScratch(b)
	h := frame.Header{Type: frame.TypeError, ID: id}
	*b = appendError((*b)[:0], code, err)
	if errors.Is(write(h, *b), frame.ErrTooLarge) {
		*b = appendError((*b)[:0], code, shortened{err})
		write(h, *b)
	}
}

func (c *serverConn) cancelAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ctx := range c.cancels {
		ctx.cancel(context.Canceled)
	}
}

// due says whether the caller's next request is due soon, so that the
// reader may spin for it (spinread.go): the caller sends one call at a time
// (the last burst read was one call), it has been answered (no call in
// flight), and the reader holds no part of a frame.
func (c *serverConn) due() bool {
	if !c.lone || !c.r.Idle() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cancels) == 0
}
