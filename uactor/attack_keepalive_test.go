package uactor_test

// A key holder that pings while it reads nothing: the client's answers
// must not pile up behind a write the actor never takes.

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// plainFrame is one frame read by rawFrames: its body header and payload.
type plainFrame struct {
	typ     frame.Type
	id      uint64
	length  int    // the body's, from the length prefix
	payload []byte // nil when read with headOnly
}

// readPlainFrame reads one unsealed frame from c byte by byte, so that
// nothing past it is taken from the socket; with headOnly it reads only the
// 16-byte header.
func readPlainFrame(c net.Conn, headOnly bool) (plainFrame, error) {
	var head [frame.HeaderSize]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return plainFrame{}, err
	}
	f := plainFrame{typ: frame.Type(head[4]), id: binary.BigEndian.Uint64(head[8:]), length: int(binary.BigEndian.Uint32(head[:4]))}
	if f.length < frame.BodyHeaderSize {
		return f, fmt.Errorf("frame body of %d bytes", f.length)
	}
	if headOnly {
		return f, nil
	}
	f.payload = make([]byte, f.length-frame.BodyHeaderSize)
	_, err := io.ReadFull(c, f.payload)
	return f, err
}

// answerInfo takes c through the handshake as a counter actor of a random
// id that names itself addr, unsealed, and answers the client's info call.
func answerInfo(c net.Conn, key []byte, addr string) error {
	var id [16]byte
	copy(id[:], randomBytes(16))
	return answerInfoAs(c, key, addr, id, id)
}

// acceptInfo accepts one connection on ln, a Unix socket, gives it d to
// live, and takes it through the handshake and the info call as
// answerInfo does; the caller closes it.
func acceptInfo(ln net.Listener, key []byte, d time.Duration) (net.Conn, error) {
	var id [16]byte
	copy(id[:], randomBytes(16))
	return acceptInfoAs(ln, key, d, id, id)
}

// acceptInfoAs is acceptInfo for an actor that says it is actor id in the
// handshake and actor infoID in the info call's answer (see answerInfoAs).
func acceptInfoAs(ln net.Listener, key []byte, d time.Duration, id, infoID [16]byte) (net.Conn, error) {
	c, err := ln.Accept()
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(d))
	if err := answerInfoAs(c, key, "unix://"+ln.Addr().String(), id, infoID); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// answerInfoAs is answerInfo for an actor that says it is actor id in the
// handshake and actor infoID in the info call's answer.
func answerInfoAs(c net.Conn, key []byte, addr string, id, infoID [16]byte) error {
	cfg := handshake.ServerConfig{Key: uactor.StretchKey(key), ActorID: id, Deadline: time.Now().Add(10 * time.Second)}
	if _, err := handshake.Server(c, cfg); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	info, err := readPlainFrame(c, false)
	if err != nil {
		return fmt.Errorf("reading the info call: %w", err)
	}
	p := wire.AppendString(nil, CounterKind.Name())
	p = append(p, infoID[:]...)
	p = wire.AppendString(p, addr)
	p = wire.AppendUvarint(p, 1)
	return frame.NewWriter(c, 0).WriteFrame(frame.Header{Type: frame.TypeReply, ID: info.id}, p)
}

// A hostile actor lets a large request of the client's stall half-written,
// then sends thousands of PINGs while the client reads for another call.
// Every PING used to queue a PONG behind the stalled write, so the client's
// memory grew as fast as the actor could send: a PING is now answered only
// when nothing else is on its way out. What the client sent is read back
// afterwards and its PONGs counted.
func TestAttackPingFloodWhileStalled(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	ln := listenUnix(t)
	key := []byte("ping flood key")
	const pings, big = 50_000, 15 << 20

	first := make(chan struct{})  // the first call is in: the large one may go
	drain := make(chan struct{})  // the actor may read again
	counted := make(chan int, 1)  // PONGs the client sent
	failed := make(chan error, 1) // the actor's trouble
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		if err := pingFlood(ln, key, pings, big, first, drain, counted); err != nil {
			failed <- err
		}
	}()
	wait := func(ch <-chan error) error {
		select {
		case err := <-ch:
			return err
		case err := <-failed:
			t.Fatalf("the actor: %v", err)
		}
		return nil
	}

	r, err := uactor.Connect(ctx, CounterKind, "unix://"+ln.Addr().String(), key, uactor.Sealed(false), uactor.WriteTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	callCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	added := make(chan error, 1)
	go func() { _, err := Add.Call(callCtx, r, 1); added <- err }()
	select {
	case <-first:
	case err := <-failed:
		t.Fatalf("the actor: %v", err)
	}
	go Echo.Call(callCtx, r, make([]byte, big))
	if err := wait(added); err != nil {
		t.Fatalf("the call answered after the PINGs: %v", err)
	}
	close(drain)
	go Add.Call(callCtx, r, 1) // the frame the actor counts up to
	select {
	case n := <-counted:
		t.Logf("%d PINGs while a write stalled: the client sent %d PONGs", pings, n)
		if n > 16 {
			t.Errorf("the client queued %d PONGs behind a stalled write, for %d PINGs; want a few at most", n, pings)
		}
	case err := <-failed:
		t.Fatalf("the actor: %v", err)
	}
}

// pingFlood is the hostile actor of TestAttackPingFloodWhileStalled. It
// accepts one unsealed connection on ln, answers the info call, reads the
// next call whole and only the header of the one after (big bytes or more),
// sends pings PINGs and then the first call's reply, and waits for drain.
// Then it reads everything and sends on counted the PONGs that came before
// the next call.
func pingFlood(ln net.Listener, key []byte, pings, big int, first chan<- struct{}, drain <-chan struct{}, counted chan<- int) error {
	c, err := acceptInfo(ln, key, 50*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	w := frame.NewWriter(c, 0)
	add, err := readPlainFrame(c, false)
	if err != nil || add.typ != frame.TypeCall {
		return fmt.Errorf("want a call, got %+v, %v", add, err)
	}
	close(first)
	// The large call's header, and no more: its write stalls.
	echo, err := readPlainFrame(c, true)
	if err != nil || echo.typ != frame.TypeCall || echo.length < big {
		return fmt.Errorf("want the large call's header, got %+v, %v", echo, err)
	}
	for range pings {
		if err := w.QueueFrame(frame.Header{Type: frame.TypePing, ID: 7}); err != nil {
			return err
		}
	}
	// After every PING: once the client has this reply, it has read them all.
	if err := w.WriteFrame(frame.Header{Type: frame.TypeReply, ID: add.id}, wire.AppendVarint(nil, 1)); err != nil {
		return err
	}
	<-drain
	if _, err := io.CopyN(io.Discard, c, int64(echo.length-frame.BodyHeaderSize)); err != nil {
		return fmt.Errorf("reading the large call: %w", err)
	}
	pongs := 0
	for {
		f, err := readPlainFrame(c, false)
		if err != nil {
			return fmt.Errorf("after %d PONGs: %w", pongs, err)
		}
		switch f.typ {
		case frame.TypePong:
			pongs++
		case frame.TypeCall:
			counted <- pongs
			return nil
		}
	}
}

// An actor stopped at its bound on answers queued for a peer that takes
// none pings every keepalive period, and used to queue each PING behind
// the stalled write, with the write timeout off: its memory grew for as
// long as the peer held the connection. A PING now goes only when nothing
// else is on its way out, as a PONG does. The peer reads everything
// afterwards and counts the PINGs among the answers.
func TestAttackPingsPileUpAtReplyBound(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	const period = 50 * time.Millisecond
	_, c := spawnPlain(t, ctx, uactor.ConnBuffer(64<<10), uactor.Keepalive(period), uactor.WriteTimeout(0))
	const calls = 8
	wrote := make(chan error, 1) // the actor reads the calls only as its answers leave
	go func() { wrote <- writeCalls(frame.NewWriter(c, 0), 1, calls, "echo", make([]byte, mib)) }()
	time.Sleep(40 * period) // the peer takes nothing meanwhile
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	rd := frame.NewReader(c, 0)
	pings := 0
	for got := 0; got < calls; {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("after %d of %d answers: %v", got, calls, err)
		}
		buf.Release()
		switch h.Type {
		case frame.TypeReply:
			got++
		case frame.TypePing:
			pings++
		}
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d PINGs among the answers, after 40 periods in which the peer took nothing", pings)
	if pings > 8 {
		t.Errorf("the actor queued %d PINGs behind answers the peer did not take; want a few at most", pings)
	}
}
