package uactor_test

// A client of the wire written from PROTOCOL.md alone, with the standard
// library only: if the document and the library part ways, these tests
// fail. Nothing here imports the library's own framing or handshake code.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// docProbe reports what its handler's context carries, for the CALL's
// deadline and metadata.
type docProbe struct{}

// Context answers with the handler's deadline, as nanoseconds left (or -1
// when it has none), and its metadata as "key=value" pairs in key order.
func (docProbe) Context(ctx context.Context, _ uactor.Empty) ([]string, error) {
	left := int64(-1)
	if d, ok := ctx.Deadline(); ok {
		left = int64(time.Until(d))
	}
	out := []string{fmt.Sprint(left)}
	var md []string
	for k, v := range uactor.AllMetadata(ctx) {
		md = append(md, k+"="+v)
	}
	slices.Sort(md)
	return append(out, md...), nil
}

var (
	docProbeKind    = uactor.Define("protocol-doc-probe", func(context.Context, uactor.Empty) (docProbe, error) { return docProbe{}, nil })
	docProbeContext = uactor.Expose(docProbeKind, "context", docProbe.Context)
)

// The frame types, call flags and error codes of PROTOCOL.md section 2.
const (
	docCall   = 1
	docReply  = 2
	docError  = 3
	docCancel = 4
	docPing   = 5
	docPong   = 6
	docGoaway = 7

	docSeal = 1 << 0 // hello flags
	docZstd = 1 << 1

	docCompressed = 1 << 0 // frame flag

	docFlagDeadline = 1 << 0
	docFlagMetadata = 1 << 1
)

// docClient is one connection, after the handshake, of PROTOCOL.md's client.
type docClient struct {
	conn     net.Conn
	actorID  [16]byte
	keyID    [8]byte
	window   uint32
	maxFrame uint32 // the server's
	sealed   bool
	zstd     bool        // agreed; this client sends compressed frames but never asks for them
	w, r     cipher.AEAD // c2s and s2c when sealed
	wseq     uint64
	rseq     uint64
}

// docFrame is a frame as read: its plain body's fields.
type docFrame struct {
	typ     byte
	flags   byte
	id      uint64
	payload []byte
}

// docStretch turns a user's key into K, section 1 "The key a handshake proves".
func docStretch(t *testing.T, key []byte) []byte {
	t.Helper()
	k, err := pbkdf2.Key(sha256.New, string(key), []byte("uactor/2 authkey"), 250000, 32)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func docMAC(k []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, k)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// docHandshake does section 1's handshake on conn with the stretched key K,
// asking for sealing if seal. It returns the verdict's status and, when
// accepted, the connection ready for frames. flags are the ClientHello's:
// docSeal, docZstd; tweaks change the ClientHello before it is sent.
func docHandshake(t *testing.T, conn net.Conn, k []byte, flags byte, tweaks ...func(ch []byte)) (byte, *docClient) {
	t.Helper()
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ch := make([]byte, 76)
	copy(ch, "uAct")
	ch[4] = 4
	ch[5] = flags
	ch[6], ch[7] = '\r', '\n'
	rand.Read(ch[8:40])
	copy(ch[40:72], priv.PublicKey().Bytes())
	binary.BigEndian.PutUint32(ch[72:76], 1<<20)
	for _, f := range tweaks {
		f(ch)
	}
	if _, err := conn.Write(ch); err != nil {
		t.Fatalf("ClientHello: %v", err)
	}

	sh := make([]byte, 96)
	if _, err := io.ReadFull(conn, sh); err != nil {
		t.Fatalf("ServerHello: %v", err)
	}
	if string(sh[:4]) != "uAct" || sh[4] != 4 || sh[6] != '\r' || sh[7] != '\n' || sh[5]&^3 != 0 {
		t.Fatalf("ServerHello header % x", sh[:8])
	}
	c := &docClient{conn: conn}
	copy(c.actorID[:], sh[40:56])
	c.window = binary.BigEndian.Uint32(sh[88:92])
	c.maxFrame = binary.BigEndian.Uint32(sh[92:96])
	c.sealed = (flags|sh[5])&docSeal != 0
	c.zstd = flags&sh[5]&docZstd != 0

	proof := docMAC(k, []byte("uactor/2 client"), []byte{0}, ch, sh)
	if _, err := conn.Write(proof); err != nil {
		t.Fatalf("ClientProof: %v", err)
	}
	v := make([]byte, 41)
	if _, err := io.ReadFull(conn, v); err != nil {
		t.Fatalf("ServerVerdict: %v", err)
	}
	switch v[0] {
	case 0:
	case 1:
		if !bytes.Equal(v[1:], make([]byte, 40)) {
			t.Errorf("rejection carries % x, want zeros", v[1:])
		}
		return 1, nil
	default:
		t.Fatalf("verdict status %d", v[0])
	}

	serverShare, err := ecdh.X25519().NewPublicKey(sh[56:88])
	if err != nil {
		t.Fatal(err)
	}
	dh, err := priv.ECDH(serverShare)
	if err != nil {
		t.Fatal(err)
	}
	salt := append(append([]byte{}, ch[8:40]...), sh[8:40]...)
	prk, err := hkdf.Extract(sha256.New, append(append([]byte{}, k...), dh...), salt)
	if err != nil {
		t.Fatal(err)
	}
	mask, err := hkdf.Expand(sha256.New, prk, "uactor/2 key id", 8)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.keyID {
		c.keyID[i] = v[33+i] ^ mask[i]
	}
	if want := docMAC(k, []byte("uactor/2 server"), []byte{0}, ch, sh, c.keyID[:]); !hmac.Equal(v[1:33], want) {
		t.Fatalf("server's MAC does not verify")
	}
	if c.sealed {
		c.w = docAEAD(t, prk, "uactor/2 seal c2s")
		c.r = docAEAD(t, prk, "uactor/2 seal s2c")
	}
	return 0, c
}

func docAEAD(t *testing.T, prk []byte, label string) cipher.AEAD {
	t.Helper()
	key, err := hkdf.Expand(sha256.New, prk, label, 32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func docNonce(seq uint64) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n[4:], seq)
	return n
}

// send writes one frame.
func (c *docClient) send(t *testing.T, typ byte, id uint64, payload []byte) {
	t.Helper()
	body := make([]byte, 12, 12+len(payload))
	body[0] = typ
	binary.BigEndian.PutUint64(body[4:12], id)
	c.sendBody(t, append(body, payload...))
}

// sendBody writes one frame whose plain body is body, sealed if sealing
// was agreed.
func (c *docClient) sendBody(t *testing.T, body []byte) {
	t.Helper()
	n := len(body)
	if c.sealed {
		n += c.w.Overhead()
	}
	frame := binary.BigEndian.AppendUint32(nil, uint32(n))
	if c.sealed {
		frame = c.w.Seal(frame, docNonce(c.wseq), body, frame[:4])
		c.wseq++
	} else {
		frame = append(frame, body...)
	}
	if _, err := c.conn.Write(frame); err != nil {
		t.Fatalf("write frame type %d: %v", body[0], err)
	}
}

// read reads one frame.
func (c *docClient) read(t *testing.T) docFrame {
	t.Helper()
	var l [4]byte
	if _, err := io.ReadFull(c.conn, l[:]); err != nil {
		t.Fatalf("read frame length: %v", err)
	}
	n := binary.BigEndian.Uint32(l[:])
	if n > 16<<20 || n < 12 {
		t.Fatalf("frame length %d", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.conn, body); err != nil {
		t.Fatalf("read frame body: %v", err)
	}
	if c.sealed {
		var err error
		body, err = c.r.Open(nil, docNonce(c.rseq), body, l[:])
		if err != nil {
			t.Fatalf("open frame %d from the server: %v", c.rseq, err)
		}
		c.rseq++
	}
	if body[1]&^docCompressed != 0 || body[2] != 0 || body[3] != 0 {
		t.Fatalf("frame header % x: flags or reserved set", body[:4])
	}
	return docFrame{typ: body[0], flags: body[1], id: binary.BigEndian.Uint64(body[4:12]), payload: body[12:]}
}

// docCallPayload is section 2's CALL payload.
func docCallPayload(timeout time.Duration, md [][2]string, method string, req []byte) []byte {
	var flags byte
	if timeout > 0 {
		flags |= docFlagDeadline
	}
	if md != nil {
		flags |= docFlagMetadata
	}
	p := []byte{flags}
	if timeout > 0 {
		p = binary.AppendUvarint(p, uint64(timeout))
	}
	if md != nil {
		var pairs []byte
		for _, kv := range md {
			pairs = binary.AppendUvarint(pairs, uint64(len(kv[0])))
			pairs = append(pairs, kv[0]...)
			pairs = binary.AppendUvarint(pairs, uint64(len(kv[1])))
			pairs = append(pairs, kv[1]...)
		}
		p = binary.AppendUvarint(p, uint64(len(pairs)))
		p = append(p, pairs...)
	}
	p = binary.AppendUvarint(p, uint64(len(method)))
	p = append(p, method...)
	return append(p, req...)
}

// docString reads one uvarint-length-prefixed string from b, and returns
// it and what follows it.
func docString(t *testing.T, b []byte) (string, []byte) {
	t.Helper()
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		t.Fatalf("string cut short in % x", b)
	}
	return string(b[k : k+int(n)]), b[k+int(n):]
}

// docRef is a Ref's binary form, section 3.
type docRef struct {
	kind    string
	id      [16]byte
	address string
	pid     uint64
	keyID   [8]byte
}

func docParseRef(t *testing.T, b []byte) docRef {
	t.Helper()
	if len(b) == 0 || b[0] != 2 {
		t.Fatalf("ref form % x: want version 2", b)
	}
	var r docRef
	r.kind, b = docString(t, b[1:])
	if len(b) < 16 {
		t.Fatalf("ref cut short")
	}
	copy(r.id[:], b)
	r.address, b = docString(t, b[16:])
	pid, k := binary.Uvarint(b)
	if k <= 0 || len(b[k:]) != 8 {
		t.Fatalf("ref pid and key id: % x", b)
	}
	r.pid = pid
	copy(r.keyID[:], b[k:])
	return r
}

// docDial dials a ref's address as Ref.Address names it.
func docDial(t *testing.T, address string) net.Conn {
	t.Helper()
	network, at, ok := strings.Cut(address, "://")
	if !ok {
		t.Fatalf("address %q", address)
	}
	if network != "tcp" {
		network = "unix"
	}
	conn, err := net.DialTimeout(network, at, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// Bounds every read and write of the test's client, so that a
	// disagreement with the document fails rather than hangs.
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	return conn
}

// await reads frames until one with id comes,
// answering the server's PINGs on the way.
func (c *docClient) await(t *testing.T, id uint64) docFrame {
	t.Helper()
	for {
		f := c.read(t)
		if f.typ == docPing {
			c.send(t, docPong, f.id, nil)
			continue
		}
		if f.id == id {
			return f
		}
		t.Fatalf("unexpected frame type %d id %d while waiting for id %d", f.typ, f.id, id)
	}
}

// docErr parses an ERROR payload.
func docErr(t *testing.T, p []byte) (code byte, sentinel, message string) {
	t.Helper()
	if len(p) == 0 {
		t.Fatal("empty error payload")
	}
	sentinel, rest := docString(t, p[1:])
	message, rest = docString(t, rest)
	if len(rest) != 0 {
		t.Fatalf("error payload has % x past its message", rest)
	}
	return p[0], sentinel, message
}

// A client written from PROTOCOL.md alone does the handshake, calls,
// cancels, pings and sends a deadline and metadata, on a Unix socket and on
// TCP, plain and sealed, against a spawned actor.
func TestProtocolDocClient(t *testing.T) {
	key := []byte("protocol-doc-key")
	k := docStretch(t, key)
	dir, err := os.MkdirTemp("", "pdoc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, c := range []struct {
		name       string
		listen     func(name string) string
		server     []uactor.Option
		clientSeal byte
		wantSealed bool
	}{
		{"unix plain", func(n string) string { return "unix://" + filepath.Join(dir, "plain-"+n) }, []uactor.Option{uactor.Sealed(false)}, 0, false},
		{"unix sealed by the server", func(n string) string { return "unix://" + filepath.Join(dir, "sealed-"+n) }, nil, 0, true},
		{"tcp sealed", func(string) string { return "tcp://127.0.0.1:0" }, nil, docSeal, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 40*time.Second)
			opts := append([]uactor.Option{uactor.AuthKey(key)}, c.server...)
			counter := spawn(t, ctx, CounterKind, 0, append(opts, uactor.Listen(c.listen("counter")))...)
			probe := spawn(t, ctx, docProbeKind, uactor.Empty{}, append(opts, uactor.Listen(c.listen("probe")))...)
			form, err := counter.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			ref := docParseRef(t, form)
			if ref.kind != "counter" || ref.pid != uint64(counter.PID()) || ref.address != counter.Advertised() {
				t.Fatalf("ref form %+v; counter at %s pid %d", ref, counter.Address(), counter.PID())
			}

			// A wrong key gets the rejection, status 1.
			if status, _ := docHandshake(t, docDial(t, counter.Address()), docStretch(t, []byte("wrong")), c.clientSeal); status != 1 {
				t.Fatalf("wrong key: status %d, want 1", status)
			}

			status, cl := docHandshake(t, docDial(t, counter.Address()), k, c.clientSeal)
			if status != 0 {
				t.Fatalf("status %d, want 0", status)
			}
			if cl.sealed != c.wantSealed {
				t.Fatalf("sealed = %v, want %v", cl.sealed, c.wantSealed)
			}
			if cl.actorID != ref.id {
				t.Errorf("ServerHello actor id %x, ref's %x", cl.actorID, ref.id)
			}
			if cl.keyID != ref.keyID {
				t.Errorf("verdict key id %x, ref's %x", cl.keyID, ref.keyID)
			}

			// Add(5): an int64 request, varint; its response too.
			cl.send(t, docCall, 1, docCallPayload(0, nil, "add", binary.AppendVarint(nil, 5)))
			f := cl.await(t, 1)
			if f.typ != docReply {
				t.Fatalf("add: frame type %d payload %q", f.typ, f.payload)
			}
			if n, k := binary.Varint(f.payload); k != len(f.payload) || n != 5 {
				t.Fatalf("add: reply % x, want varint 5", f.payload)
			}

			// Echo: a []byte travels as itself.
			cl.send(t, docCall, 2, docCallPayload(0, nil, "echo", []byte("hello")))
			if f := cl.await(t, 2); f.typ != docReply || string(f.payload) != "hello" {
				t.Fatalf("echo: type %d payload %q", f.typ, f.payload)
			}

			// The reserved method uactor.info.
			cl.send(t, docCall, 3, docCallPayload(0, nil, "uactor.info", nil))
			f = cl.await(t, 3)
			if f.typ != docReply {
				t.Fatalf("uactor.info: frame type %d payload %q", f.typ, f.payload)
			}
			kind, rest := docString(t, f.payload)
			if len(rest) < 16 || kind != "counter" || !bytes.Equal(rest[:16], cl.actorID[:]) {
				t.Fatalf("uactor.info: kind %q, rest % x", kind, rest)
			}
			advertised, rest := docString(t, rest[16:])
			pid, n := binary.Uvarint(rest)
			if n != len(rest) || pid != uint64(counter.PID()) || advertised != counter.Advertised() {
				t.Fatalf("uactor.info: address %q pid %d (% x); want %q, %d", advertised, pid, rest, counter.Advertised(), counter.PID())
			}

			// A method no one has: ERROR code 3.
			cl.send(t, docCall, 4, docCallPayload(0, nil, "nosuch", nil))
			if f := cl.await(t, 4); f.typ != docError {
				t.Fatalf("nosuch: frame type %d", f.typ)
			} else if code, _, _ := docErr(t, f.payload); code != 3 {
				t.Fatalf("nosuch: code %d, want 3", code)
			}

			// A registered error comes back with its sentinel's name.
			cl.send(t, docCall, 5, docCallPayload(0, nil, "add", binary.AppendVarint(nil, -1)))
			if f := cl.await(t, 5); f.typ != docError {
				t.Fatalf("add -1: frame type %d", f.typ)
			} else if code, sentinel, msg := docErr(t, f.payload); code != 1 || sentinel != "uactor_test.Negative" || !strings.Contains(msg, "negative amount") {
				t.Fatalf("add -1: code %d sentinel %q message %q", code, sentinel, msg)
			}

			// PING: the idle actor answers PONG with the ping's id.
			cl.send(t, docPing, 77, nil)
			if f := cl.await(t, 77); f.typ != docPong || len(f.payload) != 0 {
				t.Fatalf("ping: frame type %d payload %q", f.typ, f.payload)
			}

			// CANCEL ends the handler's context: Block returns ctx.Err().
			cl.send(t, docCall, 6, docCallPayload(0, nil, "block", binary.AppendVarint(nil, int64(time.Hour))))
			// The handler has started once the Counter counts it.
			for id := uint64(100); ; id++ {
				cl.send(t, docCall, id, docCallPayload(0, nil, "calls", nil))
				f := cl.await(t, id)
				// add twice and block: the Counter's counted calls so far.
				if n, _ := binary.Varint(f.payload); f.typ == docReply && n >= 3 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			cl.send(t, docCancel, 6, nil)
			f = cl.await(t, 6)
			if f.typ != docError {
				t.Fatalf("cancelled block: frame type %d payload %q", f.typ, f.payload)
			}
			if code, sentinel, _ := docErr(t, f.payload); code != 1 || sentinel != "context.Canceled" {
				t.Fatalf("cancelled block: code %d sentinel %q, want 1 context.Canceled", code, sentinel)
			}
			cl.send(t, docCall, 8, docCallPayload(0, nil, "wascancelled", nil))
			if f := cl.await(t, 8); f.typ != docReply || !bytes.Equal(f.payload, []byte{1}) {
				t.Fatalf("wascancelled: type %d payload % x", f.typ, f.payload)
			}

			// A CALL with a deadline and metadata, one key sent twice.
			pst, pcl := docHandshake(t, docDial(t, probe.Address()), k, c.clientSeal)
			if pst != 0 {
				t.Fatalf("probe: status %d", pst)
			}
			const timeout = 30 * time.Second
			md := [][2]string{{"trace", "abc"}, {"tenant", "t1"}, {"trace", "second"}}
			pcl.send(t, docCall, 1<<40, docCallPayload(timeout, md, "context", nil))
			f = pcl.await(t, 1<<40)
			if f.typ != docReply {
				t.Fatalf("context: frame type %d payload %q", f.typ, f.payload)
			}
			got := docStrings(t, f.payload)
			if len(got) != 3 || got[1] != "tenant=t1" || got[2] != "trace=abc" {
				t.Fatalf("handler's metadata %q, want [tenant=t1 trace=abc] after the deadline", got)
			}
			var left int64
			if _, err := fmt.Sscan(got[0], &left); err != nil || left <= 0 || left > int64(timeout) {
				t.Fatalf("handler's deadline %q ns away; want within (0, %v]", got[0], timeout)
			}
		})
	}
}

// docStrings decodes a []string response: a uvarint count, then each
// string with a uvarint length first.
func docStrings(t *testing.T, b []byte) []string {
	t.Helper()
	n, k := binary.Uvarint(b)
	if k <= 0 {
		t.Fatalf("[]string % x", b)
	}
	b = b[k:]
	var out []string
	for range n {
		var s string
		s, b = docString(t, b)
		out = append(out, s)
	}
	if len(b) != 0 {
		t.Fatalf("[]string has % x past its elements", b)
	}
	return out
}

// closed reports whether the server closed the connection: a read
// ends in EOF or a reset, not in the test client's own deadline.
func (c *docClient) closed(t *testing.T) bool {
	t.Helper()
	_, err := io.ReadFull(c.conn, make([]byte, 4))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Logf("read: %v", err)
		return false
	}
	return true
}

// The answers PROTOCOL.md promises to frames that break it, and to a
// stop: each case on a connection of its own to one sealed TCP actor.
func TestProtocolDocAnswers(t *testing.T) {
	key := []byte("protocol-doc-key")
	k := docStretch(t, key)
	ctx := testCtx(t, 60*time.Second)
	counter := spawn(t, ctx, CounterKind, 0, uactor.AuthKey(key), uactor.Listen("tcp://127.0.0.1:0"))
	dial := func(t *testing.T, flags byte, tweaks ...func([]byte)) *docClient {
		t.Helper()
		status, cl := docHandshake(t, docDial(t, counter.Address()), k, flags, tweaks...)
		if status != 0 {
			t.Fatalf("status %d", status)
		}
		return cl
	}
	header := func(typ byte, id uint64) []byte {
		b := make([]byte, 12)
		b[0] = typ
		binary.BigEndian.PutUint64(b[4:], id)
		return b
	}
	// closes: the frame is malformed or breaks the protocol.
	for _, c := range []struct {
		name   string
		noZstd bool // the client does not offer Zstd
		send   func(t *testing.T, cl *docClient)
	}{
		{"unknown type", false, func(t *testing.T, cl *docClient) { cl.send(t, 8, 1, nil) }},
		{"REPLY from a client", false, func(t *testing.T, cl *docClient) { cl.send(t, docReply, 1, []byte("x")) }},
		{"GOAWAY from a client", false, func(t *testing.T, cl *docClient) { cl.send(t, docGoaway, 0, nil) }},
		{"empty CALL payload", false, func(t *testing.T, cl *docClient) { cl.send(t, docCall, 1, nil) }},
		{"unknown call flag", false, func(t *testing.T, cl *docClient) { cl.send(t, docCall, 1, []byte{4, 3, 'a', 'd', 'd', 2}) }},
		{"method name beyond the payload", false, func(t *testing.T, cl *docClient) { cl.send(t, docCall, 1, []byte{0, 9, 'a', 'd', 'd'}) }},
		{"metadata value past the metadata length", false, func(t *testing.T, cl *docClient) {
			// L = 3 holds key "k" and a value length of 2, whose bytes
			// would be the method's.
			cl.send(t, docCall, 1, []byte{docFlagMetadata, 3, 1, 'k', 2, 3, 'a', 'd', 'd', 2})
		}},
		{"metadata length over 8192", false, func(t *testing.T, cl *docClient) {
			v := strings.Repeat("v", 8192-3)
			pairs := append([]byte{1, 'k'}, binary.AppendUvarint(nil, uint64(len(v)))...)
			pairs = append(pairs, v...)
			if len(pairs) != 8193 {
				t.Fatalf("%d bytes of pairs", len(pairs))
			}
			p := append([]byte{docFlagMetadata}, binary.AppendUvarint(nil, uint64(len(pairs)))...)
			cl.send(t, docCall, 1, append(append(p, pairs...), 3, 'a', 'd', 'd', 2))
		}},
		{"timeout over 2^63-1", false, func(t *testing.T, cl *docClient) {
			p := binary.AppendUvarint([]byte{docFlagDeadline}, 1<<63)
			cl.send(t, docCall, 1, append(p, 3, 'a', 'd', 'd', 2))
		}},
		{"metadata length past the payload", false, func(t *testing.T, cl *docClient) {
			cl.send(t, docCall, 1, []byte{docFlagMetadata, 9, 1, 'k', 0})
		}},
		{"unknown frame flag", false, func(t *testing.T, cl *docClient) {
			b := header(docPing, 1)
			b[1] = 2
			cl.sendBody(t, b)
		}},
		{"reserved field set", false, func(t *testing.T, cl *docClient) {
			b := header(docPing, 1)
			b[3] = 1
			cl.sendBody(t, b)
		}},
		{"compressed flag without Zstd", true, func(t *testing.T, cl *docClient) {
			b := header(docCall, 1)
			b[1] = docCompressed
			cl.sendBody(t, append(b, docZstdFrame(docCallPayload(0, nil, "add", []byte{2}), 0)...))
		}},
		{"zstd frame with a trailing byte", false, func(t *testing.T, cl *docClient) {
			b := header(docCall, 1)
			b[1] = docCompressed
			cl.sendBody(t, append(append(b, docZstdFrame(docCallPayload(0, nil, "add", []byte{2}), 0)...), 0))
		}},
		{"zstd content size unlike its blocks", false, func(t *testing.T, cl *docClient) {
			b := header(docCall, 1)
			b[1] = docCompressed
			cl.sendBody(t, append(b, docZstdFrame(docCallPayload(0, nil, "add", []byte{2}), 1)...))
		}},
		{"length over the actor's maximum, no body", false, func(t *testing.T, cl *docClient) {
			cl.conn.Write(binary.BigEndian.AppendUint32(nil, 16<<20+1))
		}},
		{"sealed length under 28, no body", false, func(t *testing.T, cl *docClient) {
			// Closed on the length alone: no body follows to wait for.
			cl.conn.Write([]byte{0, 0, 0, 27})
		}},
		{"CALL id in flight", false, func(t *testing.T, cl *docClient) {
			block := docCallPayload(0, nil, "block", binary.AppendVarint(nil, int64(time.Hour)))
			cl.send(t, docCall, 9, block)
			cl.send(t, docCall, 9, block)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			flags := byte(docSeal | docZstd)
			if c.noZstd {
				flags = docSeal
			}
			cl := dial(t, flags)
			if cl.zstd == c.noZstd {
				t.Fatalf("Zstd agreed: %v", cl.zstd)
			}
			c.send(t, cl)
			if !cl.closed(t) {
				t.Fatal("the actor did not close the connection")
			}
		})
	}

	// The ClientHello's checks: the actor sends its ServerHello (the
	// hellos cross), then closes instead of answering the proof.
	for _, c := range []struct {
		name  string
		tweak func(ch []byte)
	}{
		{"unknown hello flag", func(ch []byte) { ch[5] |= 4 }},
		{"version 3", func(ch []byte) { ch[4] = 3 }},
		{"no CR LF", func(ch []byte) { ch[6] = ' ' }},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := docDial(t, counter.Address())
			priv, err := ecdh.X25519().GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			ch := append([]byte("uAct\x04\x01\r\n"), make([]byte, 68)...)
			rand.Read(ch[8:40])
			copy(ch[40:72], priv.PublicKey().Bytes())
			c.tweak(ch)
			conn.Write(ch)
			conn.Write(make([]byte, 32)) // a proof, which is never checked
			b, err := io.ReadAll(conn)
			if err == nil || errors.Is(err, syscall.ECONNRESET) {
				// the end of the stream, or a reset: closed either way
			} else {
				t.Fatalf("after a bad ClientHello: read %d bytes, %v", len(b), err)
			}
			if len(b) > 96 {
				t.Fatalf("after a bad ClientHello: %d bytes, more than a ServerHello", len(b))
			}
		})
	}

	// A reply over the client's announced maximum: ERROR code 1 naming
	// uactor.ErrTooLarge; one that just fits is sent. A maximum under
	// 4096 is read as 4096; 0 announces none, so the actor's own holds.
	for _, c := range []struct {
		announce uint32
		limit    int // the largest frame length the actor sends
	}{
		{4096, 4096},
		{100, 4096},
		{0, 16 << 20},
	} {
		t.Run(fmt.Sprintf("client's maximum %d", c.announce), func(t *testing.T) {
			cl := dial(t, docSeal, func(ch []byte) { binary.BigEndian.PutUint32(ch[72:76], c.announce) })
			fits := c.limit - 12 - 16 // sealed
			cl.send(t, docCall, 1, docCallPayload(0, nil, "fill", binary.AppendVarint(nil, int64(fits))))
			if f := cl.await(t, 1); f.typ != docReply || len(f.payload) != fits {
				t.Fatalf("fill %d: type %d, %d bytes", fits, f.typ, len(f.payload))
			}
			cl.send(t, docCall, 2, docCallPayload(0, nil, "fill", binary.AppendVarint(nil, int64(fits+1))))
			f := cl.await(t, 2)
			if f.typ != docError {
				t.Fatalf("fill %d: type %d, %d bytes", fits+1, f.typ, len(f.payload))
			}
			if code, sentinel, msg := docErr(t, f.payload); code != 1 || sentinel != "uactor.ErrTooLarge" {
				t.Fatalf("fill %d: code %d sentinel %q message %q; want 1 uactor.ErrTooLarge", fits+1, code, sentinel, msg)
			}
		})
	}

	t.Run("answers", func(t *testing.T) {
		cl := dial(t, docSeal|docZstd)
		if cl.window != 32<<20 || cl.maxFrame != 16<<20 {
			t.Errorf("window %d, max frame %d; want the defaults 32 MiB and 16 MiB", cl.window, cl.maxFrame)
		}
		// A deadline that has passed on arrival: ERROR code 7.
		cl.send(t, docCall, 1, []byte{docFlagDeadline, 0, 3, 'a', 'd', 'd', 2})
		if f := cl.await(t, 1); f.typ != docError {
			t.Fatalf("timeout 0: frame type %d", f.typ)
		} else if code, _, _ := docErr(t, f.payload); code != 7 {
			t.Fatalf("timeout 0: code %d, want 7", code)
		}
		// A compressed CALL; the reply comes plain, since the actor was
		// not given Compression.
		b := header(docCall, 3)
		b[1] = docCompressed
		cl.sendBody(t, append(b, docZstdFrame(docCallPayload(0, nil, "echo", []byte("squeezed")), 0)...))
		if f := cl.await(t, 3); f.typ != docReply || f.flags != 0 || string(f.payload) != "squeezed" {
			t.Fatalf("compressed echo: type %d flags %d payload %q", f.typ, f.flags, f.payload)
		}
		// A PING's payload is ignored; the PONG is empty.
		cl.send(t, docPing, 0, []byte("ignored"))
		if f := cl.await(t, 0); f.typ != docPong || len(f.payload) != 0 {
			t.Fatalf("ping: type %d payload %q", f.typ, f.payload)
		}
		// A CANCEL for no call in flight changes nothing.
		cl.send(t, docCancel, 42, []byte("ignored"))
		cl.send(t, docCall, 2, docCallPayload(0, nil, "add", binary.AppendVarint(nil, 1)))
		if f := cl.await(t, 2); f.typ != docReply {
			t.Fatalf("add after a stray CANCEL: type %d", f.typ)
		}

		// The owner's Close: GOAWAY, id 0, empty, then the end of the stream.
		if err := counter.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if f := cl.read(t); f.typ != docGoaway || f.id != 0 || len(f.payload) != 0 {
			t.Fatalf("after Close: type %d id %d payload %q, want GOAWAY", f.typ, f.id, f.payload)
		}
		if n, err := cl.conn.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("after GOAWAY: read %d, %v; want EOF", n, err)
		}
	})
}

// docZstdFrame is content as one zstd frame (RFC 8878) of one raw block,
// single-segment, declaring a content size of len(content)+skew.
func docZstdFrame(content []byte, skew int) []byte {
	if len(content)+skew > 255 {
		panic("docZstdFrame: the one-byte content size holds at most 255")
	}
	f := []byte{0x28, 0xB5, 0x2F, 0xFD, 0x20, byte(len(content) + skew)}
	h := uint32(1) | uint32(len(content))<<3 // last block, raw
	f = append(f, byte(h), byte(h>>8), byte(h>>16))
	return append(f, content...)
}
