package uactor_test

// Raw connections: what tests use to speak to an actor below the library,
// byte by byte, as a hostile or broken peer would (PROTOCOL.md describes
// the bytes).

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// handshakeBytes is what a client sends before its first frame.
const handshakeBytes = handshake.ClientHelloSize + handshake.ClientProofSize

// dialRaw opens a plain connection to an actor address, unix:// or tcp://,
// closed when the test ends.
func dialRaw(t *testing.T, address string) net.Conn {
	t.Helper()
	network, addr := "unix", strings.TrimPrefix(address, "unix://")
	if a, ok := strings.CutPrefix(address, "tcp://"); ok {
		network, addr = "tcp", a
	}
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// listenTCP listens on a free loopback port until the test ends.
func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// listenUnix listens on a Unix socket in a fresh directory until the test
// ends. Not t.TempDir: its long paths can exceed the socket path limit.
func listenUnix(t *testing.T) net.Listener {
	t.Helper()
	dir, err := os.MkdirTemp("", "listen")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ln, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// authenticated opens a connection to an actor and passes the handshake, as
// a real client would, asking for the features in want; what it does next
// is up to the test. Without FeatureSeal, the connection is plain only if
// the actor was given Sealed(false): tests that write frames by hand do that.
func authenticated(t *testing.T, address, key string, want handshake.Features) net.Conn {
	t.Helper()
	c := dialRaw(t, address)
	if _, err := handshake.Client(c, handshake.ClientConfig{Key: uactor.StretchKey([]byte(key)), Want: want, Deadline: time.Now().Add(5 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	return c
}

// plainKey is the key of the actors that tests write frames to by hand.
const plainKey = "frames by hand"

// plain adds to opts what makes an actor that a test writes frames to by
// hand: plainKey, and Sealed(false) so that a client that does not ask for
// sealing gets a plain connection.
func plain(opts ...uactor.Option) []uactor.Option {
	return append(opts, uactor.AuthKey([]byte(plainKey)), uactor.Sealed(false))
}

// hostPlain hosts a as an actor of kind k with plain(opts...), and opens an
// authenticated connection to it that asks for the features in want.
func hostPlain[A, Arg any](t *testing.T, ctx context.Context, k *uactor.Kind[A, Arg], a A, want handshake.Features, opts ...uactor.Option) (uactor.Ref[A], net.Conn) {
	t.Helper()
	r := host(t, ctx, k, a, plain(opts...)...)
	return r, authenticated(t, r.Address(), plainKey, want)
}

// spawnPlain spawns a counter with plain(opts...), and opens an
// authenticated plain connection to it.
func spawnPlain(t *testing.T, ctx context.Context, opts ...uactor.Option) (uactor.Ref[*Counter], net.Conn) {
	t.Helper()
	r := spawnCounter(t, ctx, plain(opts...)...)
	return r, authenticated(t, r.Address(), plainKey, 0)
}

// hammer runs n goroutines that dial addr over and over until the test
// ends, each connection handed to use (and closed when use returns; use
// should return soon once stopped reports true). It returns the count of
// connections made.
func hammer(t *testing.T, n int, addr string, use func(c net.Conn, stopped func() bool)) *atomic.Int64 {
	var dials atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for !stop.Load() {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				dials.Add(1)
				use(c, stop.Load)
				c.Close()
			}
		})
	}
	t.Cleanup(func() { stop.Store(true); wg.Wait() })
	return &dials
}

// readExactly reads len(b) bytes from c within d.
func readExactly(c net.Conn, b []byte, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	_, err := io.ReadFull(c, b)
	return err
}

// isClosedErr reports whether err says that the peer closed the connection.
func isClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "reset") || strings.Contains(err.Error(), "broken pipe")
}

// waitDrop waits for the actor to close c (reading past whatever it sends)
// and returns when it did, or an error if it has not after d.
func waitDrop(c net.Conn, d time.Duration) (time.Time, error) {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 512)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		if isClosedErr(err) {
			return time.Now(), nil
		}
		return time.Time{}, fmt.Errorf("connection not dropped within %v: %w", d, err)
	}
}

// expectDropped is waitDrop that fails the test (from the test's goroutine only).
func expectDropped(t *testing.T, c net.Conn, d time.Duration) time.Time {
	t.Helper()
	at, err := waitDrop(c, d)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// peek tries one read on c without blocking: what it says about the
// connection, "data", "closed" or "" (nothing yet).
func peek(c net.Conn) string {
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return "closed"
	}
	var buf [128]byte
	var n int
	var rerr error
	rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), buf[:])
		return true // never wait
	})
	switch {
	case rerr == syscall.EAGAIN:
		return ""
	case rerr != nil || n == 0:
		return "closed"
	}
	return "data"
}

// clientHello builds a ClientHello (PROTOCOL.md §1) with the given flags
// and nonce, announcing frames of up to 16 MiB.
func clientHello(flags byte, nonce []byte) []byte {
	b := []byte{'u', 'A', 'c', 't', 4, flags, '\r', '\n'}
	b = append(b, nonce[:32]...)
	b = append(b, x25519Share()...)
	return binary.BigEndian.AppendUint32(b, 16<<20)
}

// serverHello builds a ServerHello with the given flags, nonce and actor
// id, announcing a request window of 1 MiB and frames of up to 16 MiB.
func serverHello(flags byte, nonce, id []byte) []byte {
	b := []byte{'u', 'A', 'c', 't', 4, flags, '\r', '\n'}
	b = append(b, nonce[:32]...)
	b = append(b, id[:16]...)
	b = append(b, x25519Share()...)
	b = binary.BigEndian.AppendUint32(b, 1<<20)
	return binary.BigEndian.AppendUint32(b, 16<<20)
}

// x25519Share is a fresh ephemeral X25519 public key, as a hello carries.
func x25519Share() []byte {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k.PublicKey().Bytes()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// verdict sends what a client sends (hello and proof) on c and returns the
// server's verdict status: 0 accepted, 1 rejected, -1 if it closed instead.
// The server's hello must have been read already, or be read by verdict
// after sending the magic: a TCP actor accepts a connection only once its
// first bytes arrive.
func verdict(t *testing.T, c net.Conn, clientBytes []byte, readHello bool) int {
	t.Helper()
	if readHello {
		c.Write(clientBytes[:4])
		clientBytes = clientBytes[4:]
		sh := make([]byte, handshake.ServerHelloSize)
		if err := readExactly(c, sh, 5*time.Second); err != nil {
			t.Fatalf("server hello: %v", err)
		}
	}
	if _, err := c.Write(clientBytes); err != nil {
		if isClosedErr(err) {
			return -1
		}
		t.Fatal(err)
	}
	v := make([]byte, handshake.ServerVerdictSize)
	if err := readExactly(c, v, 5*time.Second); err != nil {
		if isClosedErr(err) {
			return -1
		}
		t.Fatalf("verdict: %v", err)
	}
	if v[0] == 0 {
		return 0
	}
	if !bytes.Equal(v[1:], make([]byte, len(v)-1)) {
		t.Errorf("a rejection carries a MAC: %x", v[1:])
	}
	return int(v[0])
}

// expectRejected fails the test unless a verdict status is a rejection or
// a close, and logs which it was.
func expectRejected(t *testing.T, what string, st int) {
	t.Helper()
	if st != 1 && st != -1 {
		t.Fatalf("%s: verdict status %d; want rejected", what, st)
	}
	t.Logf("%s: status %d (1 rejected, -1 closed)", what, st)
}

// captured is what a hostile listener got from the caller it lured.
type captured struct {
	hello, proof []byte
	err          error
}

// hostileListener plays a server on a loopback port for one connection: it
// sends a well-formed ServerHello announcing actor id with a nonce of its
// own, records the ClientHello and ClientProof, and answers with a forged
// "accepted" verdict (status 0, a MAC of zeros).
func hostileListener(ln net.Listener, id []byte) <-chan captured {
	out := make(chan captured, 1)
	go func() {
		var got captured
		defer func() { out <- got }()
		c, err := ln.Accept()
		if err != nil {
			got.err = err
			return
		}
		defer c.Close()
		if _, got.err = c.Write(serverHello(1, randomBytes(32), id)); got.err != nil {
			return
		}
		got.hello = make([]byte, handshake.ClientHelloSize)
		if got.err = readExactly(c, got.hello, 5*time.Second); got.err != nil {
			return
		}
		proof := make([]byte, handshake.ClientProofSize)
		if err := readExactly(c, proof, 2*time.Second); err != nil {
			return // no proof: the caller refused us before proving anything
		}
		got.proof = proof
		c.Write(make([]byte, handshake.ServerVerdictSize)) // "accepted", with a MAC it cannot make
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		io.Copy(io.Discard, c)
	}()
	return out
}

// recorder keeps everything written to and read from a conn: what a
// passive eavesdropper records.
type recorder struct {
	net.Conn
	mu      sync.Mutex
	out, in bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.Conn.Write(b)
	r.keep(&r.out, b[:n])
	return n, err
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.keep(&r.in, b[:n])
	return n, err
}

func (r *recorder) keep(to *bytes.Buffer, b []byte) {
	r.mu.Lock()
	to.Write(b)
	r.mu.Unlock()
}

// frameHead is a frame's length prefix followed by a plain body header.
func frameHead(length uint32, typ byte, id uint64) []byte {
	b := binary.BigEndian.AppendUint32(nil, length)
	b = append(b, typ, 0, 0, 0)
	return binary.BigEndian.AppendUint64(b, id)
}

// writeCalls writes a CALL frame for each id from first to last, all with
// the same method and request, on a plain connection.
func writeCalls(w *frame.Writer, first, last uint64, method string, req []byte) error {
	prefix := append(binary.AppendUvarint([]byte{0}, uint64(len(method))), method...)
	for id := first; ; id++ { // not id <= last: that never ends at 2^64-1
		if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, prefix, req); err != nil {
			return err
		}
		if id == last {
			return nil
		}
	}
}

// tally counts answers by kind.
type tally struct {
	replies, busy, cancelled, other int
	err                             error
}

// readAnswers reads n answers from an authenticated raw connection.
func readAnswers(conn net.Conn, rd *frame.Reader, n int) tally {
	var got tally
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer conn.SetReadDeadline(time.Time{})
	for got.replies+got.busy+got.cancelled+got.other < n {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			got.err = err
			break
		}
		switch {
		case h.Type == frame.TypeReply:
			got.replies++
		case h.Type == frame.TypeError && len(buf.B) > 0 && buf.B[0] == 6:
			got.busy++
		case h.Type == frame.TypeError && strings.Contains(string(buf.B), "context canceled"):
			got.cancelled++
		default:
			got.other++
		}
		buf.Release()
	}
	return got
}

// pingPast sends a PING and waits for its PONG: frames are read in order,
// so once it comes the actor has read every frame written before it.
func pingPast(t *testing.T, c net.Conn, w *frame.Writer, rd *frame.Reader) {
	t.Helper()
	w.WriteFrame(frame.Header{Type: frame.TypePing, ID: 1 << 40})
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	h, buf, err := rd.ReadFrame()
	if err != nil || h.Type != frame.TypePong {
		t.Fatalf("answer to a ping: %v, %v; want its pong", h, err)
	}
	buf.Release()
}

// expectExpired reads the answer to call id on c: an error frame with code
// 7, the call's deadline passed before its handler started.
func expectExpired(t *testing.T, c net.Conn, rd *frame.Reader, id uint64) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, buf, err := rd.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Release()
	if h.Type != frame.TypeError || h.ID != id || len(buf.B) == 0 || buf.B[0] != 7 {
		t.Fatalf("answer %v %q; want an error frame with code 7", h, buf.B)
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += n
	return n, err
}

// rawFrame is a plain frame (PROTOCOL.md §2) built byte by byte, with any
// flags and reserved field, for frames that a frame.Writer refuses to send.
func rawFrame(typ, flags byte, reserved uint16, id uint64, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(frame.BodyHeaderSize+len(payload)))
	b = append(b, typ, flags)
	b = binary.BigEndian.AppendUint16(b, reserved)
	b = binary.BigEndian.AppendUint64(b, id)
	return append(b, payload...)
}

// authenticatedSession is authenticated announcing maxFrame in its hello,
// and returns the session too, for tests that seal frames by hand.
func authenticatedSession(t *testing.T, address, key string, want handshake.Features, maxFrame uint32) (net.Conn, *handshake.Session) {
	t.Helper()
	c := dialRaw(t, address)
	s, err := handshake.Client(c, handshake.ClientConfig{Key: uactor.StretchKey([]byte(key)), Want: want, MaxFrame: maxFrame, Deadline: time.Now().Add(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// sealedFrame is a sealed frame built by hand (PROTOCOL.md, "Sealed
// frames"): the plain body sealed with nonce 0x00000000 || seq and the
// length prefix as additional data.
func sealedFrame(aead cipher.AEAD, seq uint64, typ byte, id uint64, payload []byte) []byte {
	plainBody := rawFrame(typ, 0, 0, id, payload)[4:]
	length := binary.BigEndian.AppendUint32(nil, uint32(len(plainBody)+aead.Overhead()))
	nonce := binary.BigEndian.AppendUint64(make([]byte, 4), seq)
	return aead.Seal(length, nonce, plainBody, length)
}
