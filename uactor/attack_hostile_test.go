package uactor_test

// A ref that points at a hostile listener: what the caller gives away to
// it, and what it can do with that.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// forgeRef takes r's binary form (version 2, kind, 16-byte id, address,
// pid, 8-byte key id), puts address in place of r's, and decodes
// it in this process, as a ref that arrived in a response would be. It
// returns the forged ref and the actor id it names.
func forgeRef(t *testing.T, r uactor.Ref[*Counter], address string) (uactor.Ref[*Counter], []byte) {
	t.Helper()
	b, err := r.AppendBinary(nil)
	if err != nil || len(b) == 0 || b[0] != 2 {
		t.Fatalf("ref's binary form %x, %v", b, err)
	}
	rd := wire.NewReader(b[1:])
	kind := rd.String()
	id := append([]byte(nil), rd.Raw(16)...)
	_ = rd.String() // the real address
	pid := rd.Uvarint()
	keyID := append([]byte(nil), rd.Raw(8)...)
	if err := rd.Close(); err != nil {
		t.Fatalf("parsing a ref: %v", err)
	}
	f := wire.AppendString([]byte{2}, kind)
	f = append(f, id...)
	f = wire.AppendString(f, address)
	f = wire.AppendUvarint(f, pid)
	f = append(f, keyID...)
	var forged uactor.Ref[*Counter]
	if err := forged.UnmarshalBinary(f); err != nil {
		t.Fatalf("decoding the forged ref: %v", err)
	}
	t.Cleanup(func() { forged.Close() })
	return forged, id
}

// callHostile calls Add through a ref to real rewritten to name a hostile
// listener, which announces real's actor id, or another if otherID. The
// call must fail on what the listener did, not on a deadline running out;
// callHostile returns what the listener captured, and the call's error.
func callHostile(t *testing.T, ctx context.Context, real uactor.Ref[*Counter], otherID bool) (captured, error) {
	t.Helper()
	ln := listenTCP(t)
	forged, id := forgeRef(t, real, "tcp://"+ln.Addr().String())
	if otherID {
		id = randomBytes(16)
	}
	got := hostileListener(ln, id)
	start := time.Now()
	_, err := Add.Call(ctx, forged, 1)
	el := time.Since(start)
	if err == nil {
		t.Fatal("a call through a ref to a hostile listener succeeded")
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the call failed on a deadline after %v: %v", el, err)
	}
	t.Logf("call failed after %v: %v", el, err)
	return receive(t, got, 10*time.Second, "the hostile listener did not finish"), err
}

// A ref rewritten to name a hostile listener: the call fails promptly, and
// what the hostile side recorded (ClientHello and ClientProof) does not
// get it into the real actor.
func TestAttackHostileListener(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	real := spawnCounter(t, ctx)
	cap, err := callHostile(t, ctx, real, false)
	if !errors.Is(err, uactor.ErrAuthKey) && !errors.Is(err, uactor.ErrProtocol) && !errors.Is(err, uactor.ErrActorDied) {
		t.Fatalf("call through a ref to a hostile listener = %v; want ErrAuthKey, ErrProtocol or ErrActorDied", err)
	}
	if cap.err != nil || cap.proof == nil {
		t.Fatalf("the hostile listener recorded hello %x, proof %x (%v); the caller proved itself to the id it expected, so both were expected", cap.hello, cap.proof, cap.err)
	}
	// The hostile side now tries what it recorded on the real actor.
	c := dialRaw(t, real.Address())
	expectRejected(t, "the recorded proof on the real actor", verdict(t, c, append(cap.hello, cap.proof...), true))
	expectUntouched(t, ctx, real)
}

// PROTOCOL.md §1: "A client that expects a particular actor (a ref carries
// its actor's uuid) refuses a ServerHello with another id before it sends
// its proof." A hostile listener announcing another actor id must get no
// proof from a ref that names the real actor.
func TestAttackHostileListenerOtherID(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	real := spawnCounter(t, ctx)
	cap, err := callHostile(t, ctx, real, true)
	if cap.proof != nil {
		t.Errorf("BUG: the caller sent its ClientProof (%x) to a server that announced another actor id than the ref's", cap.proof)
	}
	if !errors.Is(err, uactor.ErrWrongActor) {
		t.Errorf("call through a ref to a listener announcing another actor = %v; want ErrWrongActor", err)
	}
	expectUntouched(t, ctx, real)
}

// A ref from Connect names the actor it reached, as a forwarded ref does:
// once that actor is gone, the reconnect that finds a hostile listener at
// its port (which announces another actor id) refuses it before proving
// anything, as PROTOCOL.md §1 says of a client that expects an actor.
func TestAttackHostileListenerAfterConnectedActorDied(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	real := tcpCounter(t, "tcp://127.0.0.1:0")
	remote := connect(t, ctx, real.Address(), "SECRET")
	if _, err := Add.Call(ctx, remote, 1); err != nil {
		t.Fatalf("Add through the connected ref: %v", err)
	}
	hostPort := strings.TrimPrefix(real.Address(), "tcp://")
	// Killed: closed, it would say it is gone for good, and the ref would
	// not reconnect. Now it starts to, and is refused until the listener below.
	killPID(real.PID())
	waitDone(t, real, 10*time.Second)
	// The ref finds the death by itself (its idle connection's end). A
	// call made before it has would be written to the dead actor's socket,
	// which TCP takes, and fail as in flight, without reaching the
	// reconnect this test is about.
	for !uactor.Reconnecting(remote) {
		select {
		case <-ctx.Done():
			t.Fatal("the connected ref did not notice the actor's death")
		case <-time.After(time.Millisecond):
		}
	}
	ln, err := net.Listen("tcp", hostPort)
	if err != nil {
		t.Fatalf("listening at the dead actor's port: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	got := hostileListener(ln, randomBytes(16))
	_, err = Add.Call(ctx, remote, 1)
	cap := receive(t, got, 10*time.Second, "the hostile listener did not finish")
	if cap.proof != nil {
		t.Errorf("BUG: the connected ref's reconnect sent its ClientProof (%x) to a server that announced another actor id than the one it had reached", cap.proof)
	}
	if !errors.Is(err, uactor.ErrWrongActor) || !errors.Is(err, uactor.ErrActorDied) {
		t.Errorf("call after the connected actor's port was taken by another = %v; want ErrWrongActor and ErrActorDied", err)
	}
}

// A hostile listener that relays the handshake to the real actor (so the
// caller's proof is valid there) and then injects a frame of its own: the
// caller asked for sealing in a hello the proof covers (every connection
// after a handshake is sealed, to a Unix socket as here too), and the injected frame, which the
// relay cannot seal, closes the connection without running a handler.
func TestAttackHostileRelayInjects(t *testing.T) {
	t.Run("tcp", func(t *testing.T) { relayInjects(t, listenTCP(t)) })
	// A ref to a Unix socket is no safer: it may name a relay's socket as
	// easily, so that connection is sealed too.
	t.Run("unix", func(t *testing.T) { relayInjects(t, listenUnix(t)) })
}

// relayInjects lures a caller to a relay listening on ln, which relays the
// handshake to the real actor and then injects a plain Add(1000).
func relayInjects(t *testing.T, ln net.Listener) {
	ctx := testCtx(t, 30*time.Second)
	real := spawnCounter(t, ctx)
	forged, _ := forgeRef(t, real, ln.Addr().Network()+"://"+ln.Addr().String())
	type outcome struct {
		accepted, dropped bool
		err               error
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() { done <- o }()
		victim, err := ln.Accept()
		if err != nil {
			o.err = err
			return
		}
		defer victim.Close()
		network, address := "unix", real.Address()[len("unix://"):]
		actor, err := net.Dial(network, address)
		if err != nil {
			o.err = err
			return
		}
		defer actor.Close()
		relay := func(from, to net.Conn, n int) error {
			b := make([]byte, n)
			if err := readExactly(from, b, 5*time.Second); err != nil {
				return err
			}
			_, err := to.Write(b)
			return err
		}
		if o.err = relay(actor, victim, handshake.ServerHelloSize); o.err != nil {
			return
		}
		if o.err = relay(victim, actor, handshake.ClientHelloSize+handshake.ClientProofSize); o.err != nil {
			return
		}
		v := make([]byte, handshake.ServerVerdictSize)
		if o.err = readExactly(actor, v, 5*time.Second); o.err != nil {
			return
		}
		o.accepted = v[0] == 0
		if _, o.err = victim.Write(v); o.err != nil { // the caller is in, sealed
			return
		}
		// Inject a plain call before the caller's own first frame.
		w := frame.NewWriter(actor, 0)
		w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x00\x03add"), wire.AppendVarint(nil, 1000), make([]byte, 32))
		_, err = waitDrop(actor, 10*time.Second)
		o.dropped = err == nil
	}()
	_, err := Add.Call(ctx, forged, 1)
	if err == nil {
		t.Fatal("the call through the injecting relay succeeded")
	}
	t.Logf("the caller's call: %v", err)
	o := <-done
	if o.err != nil {
		t.Fatalf("relay: %v", o.err)
	}
	if !o.accepted {
		t.Fatal("the relayed handshake was not accepted: the test did not reach the injection")
	}
	if !o.dropped {
		t.Fatal("the actor did not drop a connection carrying an unsealed frame after a sealed handshake")
	}
	expectUntouched(t, ctx, real)
}

// An actor that holds the key but then breaks the protocol (a frame length
// of 0; a GOAWAY with a payload, which an actor sends empty; a compressed frame
// though it offered no zstd): the call fails
// as ErrProtocol, and as ErrActorDied, since what became of it is unknown.
func TestAttackMalformedFrameFromActor(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(c net.Conn, sess *handshake.Session)
	}{
		{"frame length 0", func(c net.Conn, _ *handshake.Session) { c.Write(frameHead(0, 0, 0)[:4]) }},
		{"GOAWAY with a payload", func(c net.Conn, sess *handshake.Session) {
			w := frame.NewWriter(c, 0)
			w.SetAEAD(sess.WriteAEAD)
			w.WriteFrame(frame.Header{Type: frame.TypeGoAway}, []byte("bye"))
		}},
		{"GOAWAY with an id", func(c net.Conn, sess *handshake.Session) {
			w := frame.NewWriter(c, 0)
			w.SetAEAD(sess.WriteAEAD)
			w.WriteFrame(frame.Header{Type: frame.TypeGoAway, ID: 1})
		}},
		{"compressed, not agreed", func(c net.Conn, sess *handshake.Session) {
			w := frame.NewWriter(c, 0)
			w.SetAEAD(sess.WriteAEAD)
			w.SetCompression(1)
			w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: 1}, jsonish(8<<10))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			ln := listenTCP(t)
			key := []byte("k")
			done := make(chan struct{})
			t.Cleanup(func() { ln.Close(); <-done })
			go func() {
				defer close(done)
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				cfg := handshake.ServerConfig{Key: uactor.StretchKey(key), Offer: handshake.FeatureSeal, Deadline: time.Now().Add(10 * time.Second)}
				sess, err := handshake.Server(c, cfg)
				if err != nil {
					return
				}
				tc.send(c, sess)
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, c)
			}()
			var logged uactor.LockedBuffer
			r, err := uactor.Connect(ctx, CounterKind, "tcp://"+ln.Addr().String(), key,
				uactor.Logger(slog.New(slog.NewJSONHandler(&logged, nil))))
			if err == nil {
				t.Cleanup(func() { r.Close() })
				_, err = Add.Call(ctx, r, 1)
			}
			if !errors.Is(err, uactor.ErrProtocol) || !errors.Is(err, uactor.ErrActorDied) || strings.Count(err.Error(), "uactor:") != 1 {
				t.Fatalf("a call to an actor that broke the protocol = %v; want ErrProtocol and ErrActorDied, \"uactor:\" once", err)
			}
			// The record of the dropped actor says "uactor:" once in its error too.
			logged.WaitFor(t, "uactor: dropped peer", 10*time.Second)
			if out := logged.String(); strings.Contains(out, ": uactor: ") {
				t.Errorf("the record of the dropped actor repeats \"uactor:\":\n%s", out)
			}
		})
	}
}

// An actor that holds the key but answers a call with an ERROR whose code
// the client does not know, or whose payload is malformed: the call fails
// as PROTOCOL.md says (an unknown code as the handler's own error, a plain
// *RemoteError with the message; a malformed payload with ErrProtocol),
// and the connection goes on: the next call is answered.
func TestAttackErrorFrameFromActor(t *testing.T) {
	sentinels := []error{uactor.ErrPanic, uactor.ErrUnknownMethod, uactor.ErrClosed, uactor.ErrDecode, uactor.ErrBusy, uactor.ErrActorDied, uactor.ErrProtocol, context.DeadlineExceeded}
	errorPayload := func(code byte, sentinel, msg string) []byte {
		return wire.AppendString(wire.AppendString([]byte{code}, sentinel), msg)
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		msg     string // the message of an unknown code; "": malformed
	}{
		{"code 0", errorPayload(0, "", "zero"), "zero"},
		{"code 9, naming a sentinel", errorPayload(9, "context.Canceled", "nine"), "nine"},
		{"code 255", errorPayload(255, "", "top"), "top"},
		{"empty", nil, ""},
		{"the message cut short", errorPayload(1, "", "cut")[:4], ""},
		{"bytes after the message", append(errorPayload(1, "", "more"), 0), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			ln := listenUnix(t)
			key := []byte("error frame key")
			failed := make(chan error, 1)
			done := make(chan struct{})
			t.Cleanup(func() { ln.Close(); <-done })
			go func() {
				defer close(done)
				failed <- answerTwoCalls(ln, key, tc.payload)
			}()
			r, err := uactor.Connect(ctx, CounterKind, "unix://"+ln.Addr().String(), key, uactor.Sealed(false))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			_, err = Add.Call(ctx, r, 1)
			var re *uactor.RemoteError
			switch {
			case err == nil:
				t.Fatal("the call answered with an ERROR succeeded")
			case tc.msg == "":
				if !errors.Is(err, uactor.ErrProtocol) || errors.Is(err, uactor.ErrActorDied) {
					t.Fatalf("a malformed error payload = %v; want ErrProtocol, and not ErrActorDied: the call was answered", err)
				}
			case !errors.As(err, &re) || re.Message != tc.msg:
				t.Fatalf("an unknown code = %v (%T); want a *RemoteError with the message %q", err, err, tc.msg)
			default:
				for _, s := range sentinels {
					if errors.Is(err, s) {
						t.Errorf("an unknown code = %v; matches %v, and should match none", err, s)
					}
				}
			}
			if n, err := Add.Call(ctx, r, 1); err != nil || n != 7 {
				t.Fatalf("the next call on the connection = %d, %v; want 7, answered", n, err)
			}
			if err := <-failed; err != nil {
				t.Fatalf("the actor: %v", err)
			}
		})
	}
}

// answerTwoCalls takes one connection from ln through the handshake and
// the info call, answers the first call with an ERROR frame of payload p
// and the second with a REPLY of 7.
func answerTwoCalls(ln net.Listener, key, p []byte) error {
	c, err := acceptInfo(ln, key, 15*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	w := frame.NewWriter(c, 0)
	for _, answer := range []struct {
		typ     frame.Type
		payload []byte
	}{{frame.TypeError, p}, {frame.TypeReply, wire.AppendVarint(nil, 7)}} {
		call, err := readPlainFrame(c, false)
		if err != nil {
			return fmt.Errorf("reading a call: %w", err)
		}
		if err := w.WriteFrame(frame.Header{Type: answer.typ, ID: call.id}, answer.payload); err != nil {
			return err
		}
	}
	return nil
}

// An actor that holds the key but names one actor in the handshake and
// another in its answer to the info call is refused by Connect with
// ErrProtocol: one process serves one actor per address, and a ref made of
// the two would fail its every call with ErrWrongActor.
func TestAttackInfoNamesAnotherActor(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	ln := listenUnix(t)
	key := []byte("info id key")
	var id, other [16]byte
	copy(id[:], randomBytes(16))
	copy(other[:], randomBytes(16))
	done := make(chan error, 1)
	go func() {
		c, err := acceptInfoAs(ln, key, 15*time.Second, id, other)
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	r, err := uactor.Connect(ctx, CounterKind, "unix://"+ln.Addr().String(), key, uactor.Sealed(false))
	if err == nil {
		r.Close()
		t.Fatal("Connect took a ref to an actor whose info names another actor than its handshake")
	}
	if !errors.Is(err, uactor.ErrProtocol) || strings.Count(err.Error(), "uactor:") != 1 {
		t.Fatalf("Connect = %v; want ErrProtocol, \"uactor:\" once", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the actor: %v", err)
	}
}
