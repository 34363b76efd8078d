package uactor

// The actor's side of a connection, driven frame by frame: a server of
// servedKind in this process serves one end of a socket pair (as the owner's
// connection: plain frames, no handshake), and the test writes the other.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/sockbuf"
)

type servedActor struct{}

var (
	servedKind = Define("serverconn-test", func(context.Context, Empty) (*servedActor, error) { return &servedActor{}, nil })
	// servedEcho answers at once, with its request.
	_ = Expose(servedKind, "echo", func(_ *servedActor, _ context.Context, b []byte) ([]byte, error) { return b, nil })
	// servedPark waits until its call is cancelled (or its connection ends).
	_ = Expose(servedKind, "park", func(_ *servedActor, ctx context.Context, _ []byte) (Empty, error) {
		<-ctx.Done()
		return Empty{}, nil
	})
)

// servedServer starts a server of servedKind with opts, stopped when the
// test ends. Its park method is taken to run inline until it is seen to
// block, as in a fresh process.
func servedServer(t *testing.T, opts ...Option) *server {
	t.Helper()
	park := servedKind.entry.method("park")
	park.blocks.Store(false)
	t.Cleanup(func() { park.blocks.Store(false) })
	o := servedKind.opts.with(append([]Option{GracePeriod(100 * time.Millisecond)}, opts...))
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	s, err := newServer(servedKind.entry, &servedActor{}, make([]byte, 32), [8]byte{}, o, uuid.UUID{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

// callFrames returns CALL frames, one per method, with ids from first on.
func callFrames(first uint64, req []byte, methods ...string) []byte {
	var b bytes.Buffer
	w := frame.NewWriter(&b, 16<<20)
	for i, m := range methods {
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: first + uint64(i)}, callPrefix(m), req)
	}
	return b.Bytes()
}

// answerTo reads cl until the answer (REPLY or ERROR) to id arrives, and
// sends its type, or 0 if the connection ends first.
func answerTo(cl net.Conn, id uint64) <-chan frame.Type {
	got := make(chan frame.Type, 1)
	go func() {
		r := frame.NewReader(cl, 16<<20)
		for {
			h, buf, err := r.ReadFrame()
			if err != nil {
				got <- 0
				return
			}
			buf.Release()
			if (h.Type == frame.TypeReply || h.Type == frame.TypeError) && h.ID == id {
				got <- h.Type
				return
			}
		}
	}()
	return got
}

// wantAnswer waits up to 10 s for an answer on got.
func wantAnswer(t *testing.T, got <-chan frame.Type, what string) {
	t.Helper()
	select {
	case typ := <-got:
		if typ == 0 {
			t.Fatalf("%s: the connection ended without an answer", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no answer after 10 s", what)
	}
}

// The watchdog that takes a blocking inline call off the reader sends the
// answers held behind it without waiting on a peer that does not read: it
// looks at every connection of the actor under one lock, and waiting there
// (for ever, with WriteTimeout and Keepalive off) stalled them all, a new
// connection's reader included.
func TestWatchdogNeverWaitsOnAPeer(t *testing.T) {
	s := servedServer(t, WriteTimeout(0), Keepalive(0))
	// Connection a: its client reads nothing, and the socket toward it is full.
	aCl, aSrv := conntest.Unix(t)
	sockbuf.Size(aSrv) // as serving it will; then fill what that allows
	fillSocket(t, aSrv, make([]byte, 64<<10))
	fillSocket(t, aSrv, make([]byte, 1))
	s.serveOwner(aSrv)
	// In one write, so that echo's answer is held back behind park, which
	// blocks inline.
	if _, err := aCl.Write(callFrames(1, []byte("x"), "echo", "park")); err != nil {
		t.Fatal(err)
	}
	park := servedKind.entry.method("park")
	for end := time.Now().Add(10 * time.Second); !park.blocks.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the watchdog never took park off the reader")
		}
	}
	// Connection b, whose client reads.
	bCl, bSrv := conntest.Unix(t)
	s.serveOwner(bSrv)
	got := answerTo(bCl, 7)
	if _, err := bCl.Write(callFrames(7, []byte("hello"), "echo")); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, got, "an echo on another connection")
}

// Stopping the actor sends the answers of calls that finished, though held
// back to go out with the reader's next write: they counted as done, and
// the connection was closed with them queued.
func TestStopSendsHeldAnswers(t *testing.T) {
	s := servedServer(t, GracePeriod(5*time.Second))
	cl, srv := conntest.Unix(t)
	s.serveOwner(srv)
	got := answerTo(cl, 1)
	ran, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	first.Store(true)
	hook := func(method string) {
		if method == "echo" && first.CompareAndSwap(true, false) {
			close(ran)
			<-release
		}
	}
	testHookInlineRan.Store(&hook)
	t.Cleanup(func() { testHookInlineRan.Store(nil) })
	// Call 1's answer is held back behind call 2.
	if _, err := cl.Write(callFrames(1, []byte("x"), "echo", "echo")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("call 1 never ran")
	}
	s.stop() // no call is running: call 1 has finished
	close(release)
	wantAnswer(t, got, "call 1, finished before the actor stopped")
}

// records is a slog.Handler that keeps every record it is given.
type records struct {
	mu   sync.Mutex
	list []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec.Clone())
	return nil
}

// endedLocked reports whether a record other than the connection's opening
// came; r.mu is held.
func (r *records) endedLocked() bool {
	for _, rec := range r.list {
		if rec.Message != "uactor: connection opened" {
			return true
		}
	}
	return false
}

// errs returns the errors the records carry.
func (r *records) errs() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, rec := range r.list {
		rec.Attrs(func(a slog.Attr) bool {
			if err, ok := a.Value.Any().(error); ok {
				errs = append(errs, err)
			}
			return true
		})
	}
	return errs
}

// A reader waiting for a call slot (MaxInFlight, with an answer on its way
// out to a peer that does not read) when the actor stops ends the
// connection as closed: it logged a protocol error, "malformed CALL
// frame", against a peer that had sent nothing wrong.
func TestStopWhileWaitingForSlotIsNoProtocolError(t *testing.T) {
	var logged records
	s := servedServer(t, MaxInFlight(1), WriteTimeout(0), Keepalive(0), Logger(slog.New(&logged)))
	waitingForSlot(t, s)
	s.stop()
	// The connection's end is logged once its reader has ended.
	waitLocked(t, &logged.mu, "the connection's end to be logged", logged.endedLocked)
	for _, err := range logged.errs() {
		if errors.Is(err, ErrProtocol) {
			t.Errorf("logged a protocol error: %v", err)
		}
	}
}

// servedSums counts the calls of servedSum that ran.
var servedSums atomic.Int64

// servedSum borrows its request (a Lent) and answers with its length: a
// small answer to a large request.
var _ = Expose(servedKind, "sum", func(_ *servedActor, _ context.Context, b Lent) (int, error) {
	servedSums.Add(1)
	return len(b), nil
})

// ConnBuffer bounds the request bytes of a connection's calls that have
// not finished. A Lent request stays in memory until its call's answer has
// left (run recycles it only then), so a peer that stops reading its
// answers must not be able to make the actor hold more Lent requests than
// ConnBuffer allows: each call's small answer waits for the peer, and the
// large request it borrowed waits with it.
func TestLentRequestsWaitingForTheirAnswersCountInConnBuffer(t *testing.T) {
	const (
		limit = 1 << 20  // ConnBuffer
		size  = 64 << 10 // each request
		n     = 48       // calls sent: 3 MiB of requests
	)
	servedSums.Store(0)
	sum := servedKind.entry.method("sum")
	sum.blocks.Store(false)
	t.Cleanup(func() { sum.blocks.Store(false) })
	s := servedServer(t, ConnBuffer(limit), MaxInFlight(4*n), WriteTimeout(0), Keepalive(0))
	cl, c := serveUnread(t, s) // no answer can leave: the peer does not read
	go func() {                // blocks once the actor stops reading; the cleanup's close ends it
		for i := range n {
			if _, err := cl.Write(callFrames(uint64(i+1), make([]byte, size), "sum")); err != nil {
				return
			}
		}
	}()
	// Either the actor ran every call, each keeping its request, or its
	// reader stopped at ConnBuffer with the calls it let in holding it.
	stopped := func() bool { return c.waiting && c.held >= limit }
	waitLocked(t, &c.mu, "the actor to run every call or stop reading", func() bool {
		return servedSums.Load() == n || stopped()
	})
	time.Sleep(100 * time.Millisecond) // what it does next, it does now
	c.mu.Lock()
	ran, held := servedSums.Load(), c.held
	c.mu.Unlock()
	if ran*size > limit+size {
		t.Fatalf("%d Lent requests of %d bytes held while their answers wait (%d bytes) with ConnBuffer(%d); the connection counts %d request bytes",
			ran, size, ran*size, limit, held)
	}
}

// serveUnread has s serve, as its owner's connection, one whose peer
// reads nothing: the socket's send buffer is full before serving begins,
// so no answer can leave. It returns the peer's end and the connection.
func serveUnread(t *testing.T, s *server) (net.Conn, *serverConn) {
	t.Helper()
	cl, srv := conntest.Unix(t)
	sockbuf.Size(srv)
	fillSocket(t, srv, make([]byte, 64<<10))
	fillSocket(t, srv, make([]byte, 1))
	s.serveOwner(srv)
	var c *serverConn
	waitLocked(t, &s.inline.mu, "the server to serve the connection", func() bool {
		for sc := range s.inline.conns {
			c = sc
		}
		return c != nil
	})
	return cl, c
}

// A peer that hangs up while the reader waits at ConnBuffer for answers
// that cannot leave is found gone with keepalive and the write timeout
// both off, as at the request bound: the reader looks every hangUpLook.
// (A peer that closes its socket outright fails the stuck write; one that
// only shuts down its sending side, and reads nothing, does not.)
func TestHangUpFoundAtAnswerBound(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux tells a hang-up without reading (peerHungUp)")
	}
	const limit = 64 << 10
	var logged records
	s := servedServer(t, ConnBuffer(limit), WriteTimeout(0), Keepalive(0), Logger(slog.New(&logged)))
	cl, c := serveUnread(t, s)
	go cl.Write(callFrames(1, make([]byte, limit/2), "echo", "echo", "echo", "echo"))
	for end := time.Now().Add(10 * time.Second); c.w.Buffered() < limit; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the answers queued reach %d bytes; want the bound, %d", c.w.Buffered(), limit)
		}
	}
	if err := cl.(*net.UnixConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, &logged.mu, "the connection's end to be logged", logged.endedLocked)
}

// waitingForSlot serves a peer on s (MaxInFlight(1)) that reads nothing,
// and brings s's reader to wait for a call slot: call 1's answer is on its
// way out and cannot leave, and call 2 waits. It returns the peer's end
// and s's connection.
func waitingForSlot(t *testing.T, s *server) (net.Conn, *serverConn) {
	t.Helper()
	park := servedKind.entry.method("park")
	park.blocks.Store(true)    // call 1 runs on a worker, so the reader reads on
	cl, c := serveUnread(t, s) // call 1's answer cannot leave
	if _, err := cl.Write(callFrames(1, nil, "park")); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, &c.mu, "call 1 to begin", func() bool { return c.cancels[1] != nil })
	var cancel bytes.Buffer
	frame.NewWriter(&cancel, 1<<10).WriteFrame(frame.Header{Type: frame.TypeCancel, ID: 1})
	if _, err := cl.Write(cancel.Bytes()); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, &c.mu, "call 1's answer to go on its way", func() bool { return c.leaving == 1 })
	if _, err := cl.Write(callFrames(2, []byte("x"), "echo")); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, &c.mu, "the reader to wait for a slot", func() bool { return c.waiting })
	return cl, c
}
