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
	"slices"
	"strings"
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
