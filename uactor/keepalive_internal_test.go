package uactor

// Keepalive against a socket that the peer does not drain: this end never
// waits to write a PING or a PONG.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
)

// fillSocket writes copies of chunk to nc without blocking until the
// socket takes no more.
func fillSocket(t *testing.T, nc net.Conn, chunk []byte) {
	t.Helper()
	err := rawConn(nc).Write(func(fd uintptr) bool {
		for {
			if _, err := syscall.Write(int(fd), chunk); err != nil {
				return true
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A caller reading its reply answers the actor's PING without waiting for
// room in a socket full of requests the actor has not read: an actor at its
// ConnBuffer bound pings, then reads again only once its answer is taken.
// Before, the reader waited in the PONG's write, the actor for its answer
// to be read, until the write timeout failed the call.
func TestPongDoesNotStallReader(t *testing.T) {
	cl, srv := conntest.Unix(t)
	c := newClientConn(cl, address{network: "unix", addr: "pair"}, &handshake.Session{}, defaultOptions(), true)
	t.Cleanup(func() { c.close(net.ErrClosed) })

	gotCall, full := make(chan struct{}), make(chan struct{})
	actorDone := make(chan struct{})
	go func() { // the actor
		defer close(actorDone)
		r := frame.NewReader(srv, 16<<20)
		w := frame.NewWriter(srv, 16<<20)
		var id uint64
		for id == 0 {
			h, buf, err := r.ReadFrame()
			if err != nil {
				return
			}
			buf.Release()
			if h.Type == frame.TypeCall {
				id = h.ID
			}
		}
		close(gotCall)
		<-full
		// At its bound: it pings, answers, and reads again only once the
		// answer is taken (8 MiB, more than the socket holds).
		if w.WriteFrame(frame.Header{Type: frame.TypePing}) != nil {
			return
		}
		if w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: id}, make([]byte, 8<<20)) != nil {
			return
		}
		for {
			_, buf, err := r.ReadFrame()
			if err != nil {
				return
			}
			buf.Release()
		}
	}()
	t.Cleanup(func() { srv.Close(); <-actorDone })

	errc := make(chan error, 1)
	go func() {
		buf, err := c.roundTrip(context.Background(), "a", callPrefix("a"), nil)
		if err == nil {
			buf.Release()
		}
		errc <- err
	}()
	<-gotCall
	// What the actor has not read fills the socket: whole CANCEL frames,
	// for no call.
	var b bytes.Buffer
	frame.NewWriter(&b, 0).WriteFrame(frame.Header{Type: frame.TypeCancel, ID: 1 << 40})
	fillSocket(t, cl, b.Bytes())
	close(full)
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("call to a live actor failed: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("call still waiting after 30 s")
	}
}

// Keepalive finds a stopped peer although its PING cannot be written: the
// socket toward the peer is full. Before, the check waited in the PING's
// write, every later check saw one still running and returned, and with
// WriteTimeout(0) the call waited for ever.
func TestKeepaliveFindsStoppedPeerBehindFullSocket(t *testing.T) {
	a, _ := conntest.Unix(t) // the peer's end is never read or written
	o := defaultOptions()
	o.keepalive = 200 * time.Millisecond
	o.write = 0
	c := newClientConn(a, address{network: "unix", addr: "pair"}, &handshake.Session{}, o, true)
	t.Cleanup(func() { c.close(net.ErrClosed) })

	errc := make(chan error, 1)
	go func() {
		_, err := c.roundTrip(context.Background(), "m", callPrefix("m"), nil)
		errc <- err
	}()
	waitLocked(t, &c.mu, "the call to wait", func() bool { return c.reader != nil && c.pending.len() == 1 })
	fillSocket(t, a, make([]byte, 64<<10)) // the Writer is idle; its next write would wait
	select {
	case err := <-errc:
		if !errors.Is(err, ErrActorDied) {
			t.Fatalf("call failed with %v; want ErrActorDied", err)
		}
	case <-time.After(20 * o.keepalive):
		t.Fatalf("call still waiting %v after the peer stopped (keepalive %v)", 20*o.keepalive, o.keepalive)
	}
}

// A keepalive gives up on its peer once: a check that the clock started
// before the giving up took the job off (the clock runs each on a
// goroutine of its own, which may start late) finds it over. Before, such
// a check called dead again, and the actor's hook, which closes a
// channel, panicked.
func TestKeepaliveGivesUpOnce(t *testing.T) {
	for _, paused := range []bool{false, true} {
		cl, _ := conntest.Unix(t)
		dead := 0
		k := startKeepalive(time.Hour, frame.NewWriter(cl, 0), keepaliveHooks{
			dead:   func() { dead++ },
			hungUp: func() bool { return true },
		})
		k.paused.Store(paused)
		for range 4 { // the clock's runs, late ones included
			k.check()
		}
		if dead != 1 {
			t.Errorf("paused %v: dead called %d times; want once", paused, dead)
		}
		k.stop()
	}
}

// A peer that sends while this end's reader is busy with what it read (a
// large frame being put together, a call run inline) is heard: what it
// sent waits in the socket, unread, and is no silence. Before, keepalive
// counted only the bytes read, and gave up after two periods on a peer
// that answered every PING, over a Unix socket and over TCP alike. While
// bytes wait unread, the peer is not given up on at all: it may be held
// up by this end. Once this end has read them, a peer that sends nothing
// is found silent.
func TestKeepaliveHearsBytesWaitingUnread(t *testing.T) {
	for _, tc := range []struct {
		name string
		pair func(testing.TB) (net.Conn, net.Conn)
	}{{"unix", conntest.Unix}, {"tcp", conntest.TCP}} {
		t.Run(tc.name, func(t *testing.T) {
			here, peer := tc.pair(t)
			in := &counting{Reader: here, rc: rawConn(here)} // never read: the reader is busy
			dead := 0
			k := startKeepalive(time.Hour, frame.NewWriter(here, 0), keepaliveHooks{
				dead:     func() { dead++ },
				received: in.arrived,
			})
			t.Cleanup(k.stop)
			var pong bytes.Buffer
			frame.NewWriter(&pong, 0).WriteFrame(frame.Header{Type: frame.TypePong})
			for i := range 4 {
				if _, err := peer.Write(pong.Bytes()); err != nil {
					t.Fatal(err)
				}
				waitUnread(t, here, (i+1)*pong.Len())
				if k.check(); dead > 0 {
					t.Fatalf("period %d: gave up on a peer whose answers wait unread", i)
				}
			}
			// The peer sends no more, but what it sent still waits: this
			// end's reader is behind, and a peer writing a large frame
			// would be held up by it, unable to send even a PONG.
			for i := range 4 {
				if k.check(); dead > 0 {
					t.Fatalf("period %d after: gave up on a peer while its bytes wait unread", i)
				}
			}
			if _, err := io.ReadFull(in, make([]byte, 4*pong.Len())); err != nil { // the reader catches up
				t.Fatal(err)
			}
			k.check()
			k.check()
			if dead != 1 {
				t.Fatalf("dead called %d times for a peer silent two periods; want once", dead)
			}
		})
	}
}

// waitUnread waits until nc's socket holds n bytes unread: over TCP, what
// the peer wrote arrives a moment later.
func waitUnread(t *testing.T, nc net.Conn, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if q, ok := unreadBytes(rawConn(nc)); !ok || q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the socket never held %d bytes unread", n)
		}
		time.Sleep(time.Millisecond)
	}
}
