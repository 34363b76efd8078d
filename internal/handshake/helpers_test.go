package handshake

import (
	"bytes"
	"crypto/ecdh"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
)

// testTimeout bounds every wait in these tests, so that a broken handshake
// fails the test instead of hanging it.
const testTimeout = 10 * time.Second

var (
	testKey = []byte("correct horse battery staple")
	testID  = [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	otherID = [16]byte{15: 1}
)

// soon is a handshake deadline far enough away never to fire in a
// well-behaved test.
func soon() time.Time { return time.Now().Add(5 * time.Second) }

// transport makes a connected pair of conns, closed when the test ends.
type transport struct {
	name string
	pair func(testing.TB) (client, server net.Conn)
}

var transports = []transport{{"pipe", conntest.Pipe}, {"tcp", conntest.TCP}, {"unix", conntest.Unix}}

// result is what a handshake returned.
type result struct {
	s   *Session
	err error
}

// async runs f on its own goroutine; await collects its result.
func async(f func() (*Session, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		s, err := f()
		ch <- result{s, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(testTimeout):
		t.Fatal("handshake did not return")
		return result{}
	}
}

// handshake runs both sides on their conns and returns both results.
func handshake(t *testing.T, cc, sc net.Conn, ccfg ClientConfig, scfg ServerConfig) (client, server result) {
	t.Helper()
	sr := async(func() (*Session, error) { return Server(sc, scfg) })
	cr := async(func() (*Session, error) { return Client(cc, ccfg) })
	return await(t, cr), await(t, sr)
}

// peer plays the other side by hand: it writes send while reading all
// that arrives, until the conn closes. Its goroutines end by cleanup.
type peer struct {
	conn net.Conn
	got  chan []byte
}

func startPeer(t *testing.T, conn net.Conn, send []byte) *peer {
	p := &peer{conn: conn, got: make(chan []byte, 1)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		conn.Write(send)
	}()
	go func() {
		defer wg.Done()
		b, _ := io.ReadAll(conn)
		p.got <- b
	}()
	t.Cleanup(func() { conn.Close(); wg.Wait() })
	return p
}

// received closes the peer's conn and returns all it read.
func (p *peer) received(t *testing.T) []byte {
	t.Helper()
	p.conn.Close()
	select {
	case b := <-p.got:
		return b
	case <-time.After(testTimeout):
		t.Fatal("peer reader did not stop")
		return nil
	}
}

// recordingConn keeps a copy of everything written through it.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *recordingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.mu.Lock()
	c.out.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) written() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.out.Bytes())
}

// nonceSource returns a reader yielding one fixed nonce and then one fixed
// ephemeral key seed, for exact transcripts.
func nonceSource(first byte) io.Reader {
	var n [nonceSize + shareSize]byte
	for i := range n {
		n[i] = first + byte(i)
	}
	return bytes.NewReader(n[:])
}

// fixedPriv is the ephemeral key a side drawing from nonceSource(first) uses.
func fixedPriv(first byte) *ecdh.PrivateKey {
	r := nonceSource(first)
	io.CopyN(io.Discard, r, nonceSize)
	k, err := ephemeral(r)
	if err != nil {
		panic(err)
	}
	return k
}

// fixedShare is the X25519 share a side drawing from nonceSource(first) sends.
func fixedShare(first byte) (s [shareSize]byte) {
	copy(s[:], fixedPriv(first).PublicKey().Bytes())
	return s
}

// encodeClient returns h as a ClientHello.
func (h *hello) encodeClient() (b [ClientHelloSize]byte) {
	h.encode(b[:], false)
	return b
}

// encodeServer returns h as a ServerHello.
func (h *hello) encodeServer() (b [ServerHelloSize]byte) {
	h.encode(b[:], true)
	return b
}
