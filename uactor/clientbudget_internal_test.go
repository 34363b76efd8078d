package uactor

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
)

// A client connection that ends while a caller that gave up has read only
// part of a large reply gives that body's charge against the process-wide
// budget for bodies allocated ahead of their bytes back as it ends, not
// only once the collector finds its Reader: charges left meanwhile make
// every later large frame in the process start small and grow, copied as
// it arrives. The caller reading the reply gives up mid-body, and the
// connection is closed where nobody will read it again: while the caller
// has stopped reading and not yet marked its call abandoned (held there by
// a hook), whether nobody holds the read role or it was handed back to the
// caller by another that gave up too; or while the caller's read has just
// failed on its deadline, before it passes the role on. The actor hanging
// up at the same point is read by the watcher the abandoned call starts,
// and must give the charge back too. The collector is off meanwhile, so
// that it cannot hand the charge back in the connection's place.
func TestCallerBudgetGivenBackWhenConnectionEndsMidReply(t *testing.T) {
	const declared = 4 << 20
	gc := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc) })
	for _, tc := range []struct {
		name string
		// inRead: the caller is held as its read fails on its deadline,
		// rather than once it has stopped reading.
		inRead bool
		// handBack: a second caller reads on, gives up too, and hands
		// the read role back to the held one before the end.
		handBack bool
		end      func(c *clientConn, srv net.Conn)
	}{
		{"closed while nobody reads", false, false, func(c *clientConn, _ net.Conn) { c.close(ErrClosed) }},
		{"closed once handed the read role back", false, true, func(c *clientConn, _ net.Conn) { c.close(ErrClosed) }},
		{"closed as the reader's deadline fails its read", true, false, func(c *clientConn, _ net.Conn) { c.close(ErrClosed) }},
		{"the actor hangs up while nobody reads", false, false, func(_ *clientConn, srv net.Conn) { srv.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := frame.AheadInUse()
			cn, srv := conntest.Unix(t)
			o := defaultOptions()
			o.keepalive = 0 // its watcher would read on in the window
			c := newClientConn(cn, address{network: "unix", addr: "pair"}, &handshake.Session{}, o, true)
			t.Cleanup(func() { c.close(net.ErrClosed) })
			held, proceed := make(chan struct{}), make(chan struct{})
			var taken atomic.Bool // only the first to stop reading is held
			hold := func() {
				if taken.CompareAndSwap(false, true) {
					close(held)
					<-proceed
				}
			}
			t.Cleanup(func() { taken.Store(true); closeOnce(proceed) })
			if tc.inRead {
				c.r = frame.NewReader(&holdOnTimeout{Conn: cn, hold: hold}, o.maxFrame)
			} else {
				testHookLeadReturned.Store(&hold)
				t.Cleanup(func() { testHookLeadReturned.Store(nil) })
			}

			// The actor answers the first call with the head of a reply
			// that declares 4 MiB and 1 KiB of its body, then reads on.
			actorDone := make(chan struct{})
			go func() {
				defer close(actorDone)
				r := frame.NewReader(srv, 0)
				h, buf, err := r.ReadFrame()
				if err != nil {
					return
				}
				buf.Release()
				head := binary.BigEndian.AppendUint32(nil, declared+12)
				head = append(head, byte(frame.TypeReply), 0, 0, 0)
				head = binary.BigEndian.AppendUint64(head, h.ID)
				if _, err := srv.Write(append(head, make([]byte, 1<<10)...)); err != nil {
					return
				}
				for {
					if _, buf, err := r.ReadFrame(); err != nil {
						return
					} else {
						buf.Release()
					}
				}
			}()
			t.Cleanup(func() { srv.Close(); <-actorDone })

			// call makes a call of method m on c, whose error comes on the
			// channel it returns.
			call := func(ctx context.Context, m string) <-chan error {
				errc := make(chan error, 1)
				go func() {
					buf, err := c.roundTrip(ctx, m, callPrefix(m), nil)
					buf.Release()
					errc <- err
				}()
				return errc
			}
			ctxA, cancelA := context.WithCancel(context.Background())
			defer cancelA()
			errA := call(ctxA, "a")
			for end := time.Now().Add(10 * time.Second); frame.AheadInUse() <= before; time.Sleep(time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("the reply's body is not charged after 10s (in use %d, %d before)", frame.AheadInUse(), before)
				}
			}
			cancelA()
			recvWithin(t, held, 10*time.Second, "stop of the caller's reading")

			if tc.handBack {
				// B reads on for A, finds the rest of the body does not
				// come, gives up, and hands the role back to A.
				ctxB, cancelB := context.WithCancel(context.Background())
				defer cancelB()
				errB := call(ctxB, "b")
				waitLocked(t, &c.mu, "B to read", func() bool { return c.reader != nil && c.pending.len() == 2 })
				cancelB()
				if err := recvWithin(t, errB, 10*time.Second, "answer to B"); !errors.Is(err, context.Canceled) {
					t.Fatalf("B: %v; want context.Canceled", err)
				}
				c.mu.Lock()
				handed := c.reader != nil && c.reader.signaled
				c.mu.Unlock()
				if !handed {
					t.Fatal("the read role was not handed back to A")
				}
			}
			tc.end(c, srv)
			closeOnce(proceed)
			if err := recvWithin(t, errA, 10*time.Second, "answer to A"); err == nil {
				t.Fatal("A's call succeeded on a reply that never came whole")
			}
			for end := time.Now().Add(5 * time.Second); frame.AheadInUse() > before; time.Sleep(time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("5s after the connection ended mid-reply, %d bytes of the budget are still charged (%d before)", frame.AheadInUse(), before)
				}
			}
		})
	}
}

// holdOnTimeout is a connection whose Read, failing on a deadline, runs
// hold before it returns.
type holdOnTimeout struct {
	net.Conn
	hold func()
}

func (h *holdOnTimeout) Read(p []byte) (int, error) {
	n, err := h.Conn.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		h.hold()
	}
	return n, err
}

// closeOnce closes ch unless it is closed already; only the test's
// goroutine calls it.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}
