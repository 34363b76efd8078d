package uactor_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uactor-go/uactor/internal/handshake"
)

// relay is a man in the middle on loopback TCP: it forwards both ways
// between its clients and the actor at a tcp:// address, and lets a test
// watch or change the bytes that clients send (offset counts from the start
// of each connection).
type relay struct {
	ln     net.Listener
	target string
	c2s    func(r *relay, conn, off int, b []byte) []byte // may rewrite a chunk; nil forwards as is

	// turnAway is how many of the next connections the relay closes as it
	// accepts them, as an actor whose handshake budget is full may.
	turnAway atomic.Int32
	// hangUp is how many of the next connections the relay closes when the
	// client's proof comes, instead of passing it on: as an actor whose
	// handshake budget is full does to the one whose proof it has waited
	// on longest.
	hangUp   atomic.Int32
	accepted atomic.Int32

	mu   sync.Mutex
	seen bytes.Buffer   // everything relayed, both ways
	sent []bytes.Buffer // what each client sent, after c2s
}

func startRelay(t *testing.T, address string, c2s func(r *relay, conn, off int, b []byte) []byte) *relay {
	t.Helper()
	target := strings.TrimPrefix(address, "tcp://")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target, c2s: c2s}
	var wg sync.WaitGroup
	var open []net.Conn
	var openMu sync.Mutex
	track := func(c net.Conn) { openMu.Lock(); open = append(open, c); openMu.Unlock() }
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.accepted.Add(1)
			if r.turnAway.Add(-1) >= 0 {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			track(c)
			track(s)
			r.mu.Lock()
			id := len(r.sent)
			r.sent = append(r.sent, bytes.Buffer{})
			r.mu.Unlock()
			hangUp := r.hangUp.Add(-1) >= 0
			wg.Go(func() { r.pipe(c, s, id, true, hangUp) })
			wg.Go(func() { r.pipe(s, c, id, false, false) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		openMu.Lock()
		for _, c := range open {
			c.Close()
		}
		openMu.Unlock()
		wg.Wait()
	})
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) pipe(from, to net.Conn, id int, fromClient, hangUp bool) {
	defer to.Close()
	buf := make([]byte, 64<<10)
	off := 0
	for {
		n, err := from.Read(buf)
		if hangUp && off+n > handshake.ClientHelloSize {
			from.Close()
			return
		}
		if n > 0 {
			b := buf[:n]
			if fromClient && r.c2s != nil {
				b = r.c2s(r, id, off, append([]byte(nil), b...))
			}
			off += n
			r.mu.Lock()
			r.seen.Write(b)
			if fromClient {
				r.sent[id].Write(b)
			}
			r.mu.Unlock()
			if _, werr := to.Write(b); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				from.Close()
			}
			return
		}
	}
}

func (r *relay) saw(marker []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Contains(r.seen.Bytes(), marker)
}

// relayed returns how many bytes the relay has carried, both ways.
func (r *relay) relayed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen.Len()
}

// clientSent returns a copy of what the client of connection conn has sent
// so far (nil before that connection).
func (r *relay) clientSent(conn int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if conn >= len(r.sent) {
		return nil
	}
	return bytes.Clone(r.sent[conn].Bytes())
}
