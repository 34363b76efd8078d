package uactor_test

// PROTOCOL.md held to the library: a client written from the document
// alone (protocol_docclient_test.go) talks to actor processes, and where
// the document and the library part ways, these tests fail.

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

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
