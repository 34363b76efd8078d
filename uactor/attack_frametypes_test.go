package uactor_test

// Frames of every type from an authenticated client: those only an actor
// sends end the connection, and those that ask for nothing (a CANCEL for no
// call, a PONG for no PING, a PING with a payload) change nothing.

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor/wire"
)

// A client that sends a frame only an actor sends (REPLY, ERROR, GOAWAY),
// or a type outside the protocol's, is dropped, and the actor serves
// others on.
func TestAttackClientSendsActorFrames(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := host(t, ctx, CounterKind, &Counter{}, plain()...)
	for _, c := range []struct {
		name string
		typ  byte
	}{
		{"REPLY", byte(frame.TypeReply)},
		{"ERROR", byte(frame.TypeError)},
		{"GOAWAY", byte(frame.TypeGoAway)},
		{"type 0", 0},
		{"type 8", 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := authenticated(t, r.Address(), plainKey, 0)
			if _, err := conn.Write(frameHead(frame.BodyHeaderSize, c.typ, 1)); err != nil {
				t.Fatal(err)
			}
			expectDropped(t, conn, 10*time.Second)
		})
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor afterwards: Add = %d, %v", n, err)
	}
}

// A CANCEL for an id no call has, one with a payload, a PONG no PING asked
// for and a PING with a payload are read and change nothing: the PING is
// answered with an empty PONG of its id, and a call behind them all runs.
func TestAttackFramesForNothing(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := host(t, ctx, CounterKind, &Counter{}, plain()...)
	conn := authenticated(t, r.Address(), plainKey, 0)
	w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
	for _, f := range []struct {
		h frame.Header
		p []byte
	}{
		{frame.Header{Type: frame.TypeCancel, ID: 99}, nil},
		{frame.Header{Type: frame.TypeCancel, ID: 98}, []byte("why")},
		{frame.Header{Type: frame.TypePong, ID: 97}, bytes.Repeat([]byte("x"), 64<<10)},
		{frame.Header{Type: frame.TypePing, ID: 96}, bytes.Repeat([]byte("y"), 64<<10)},
	} {
		if err := w.WriteFrame(f.h, f.p); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeCalls(w, 1, 1, "add", wire.AppendVarint(nil, 2)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, want := range []frame.Header{{Type: frame.TypePong, ID: 96}, {Type: frame.TypeReply, ID: 1}} {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("waiting for %v: %v", want, err)
		}
		got := len(buf.B)
		buf.Release()
		if h != want || want.Type == frame.TypePong && got != 0 {
			t.Fatalf("got %v with %d bytes; want %v", h, got, want)
		}
	}
}

// Each frame type a client may send, with each flag bit the protocol does
// not define, with a reserved field other than 0, or with Compressed when
// zstd was not agreed, is malformed (PROTOCOL.md §2): the actor drops the
// connection, and serves others on. The same frames with the header zeroed
// are read on a connection of their own.
func TestAttackFrameHeaderBits(t *testing.T) {
	ctx := testCtx(t, 120*time.Second)
	r := spawnCounter(t, ctx, plain()...)
	add := append([]byte("\x00\x03add"), wire.AppendVarint(nil, 1)...)
	types := []struct {
		name    string
		typ     byte
		payload []byte
	}{
		{"CALL", byte(frame.TypeCall), add},
		{"CANCEL", byte(frame.TypeCancel), nil},
		{"PING", byte(frame.TypePing), nil},
		{"PONG", byte(frame.TypePong), nil},
	}
	type header struct {
		name     string
		flags    byte
		reserved uint16
	}
	var bad []header
	for bit := range 8 {
		name := "flag bit " + strconv.Itoa(bit)
		if bit == 0 {
			name = "Compressed, zstd not agreed"
		}
		bad = append(bad, header{name, 1 << bit, 0})
	}
	bad = append(bad, header{"reserved 0x0001", 0, 0x0001}, header{"reserved 0x8000", 0, 0x8000})
	for _, ty := range types {
		for _, h := range bad {
			t.Run(ty.name+"/"+h.name, func(t *testing.T) {
				conn := authenticated(t, r.Address(), plainKey, 0)
				if _, err := conn.Write(rawFrame(ty.typ, h.flags, h.reserved, 1, ty.payload)); err != nil {
					t.Fatal(err)
				}
				expectDropped(t, conn, 10*time.Second)
			})
		}
	}
	t.Run("all zero", func(t *testing.T) {
		conn := authenticated(t, r.Address(), plainKey, 0)
		rd := frame.NewReader(conn, 0)
		// One at a time: a PING is answered only while no answer is
		// queued (PROTOCOL.md, "Connections and limits").
		for _, ty := range types {
			if _, err := conn.Write(rawFrame(ty.typ, 0, 0, 2, ty.payload)); err != nil {
				t.Fatal(err)
			}
			want := frame.Header{Type: frame.TypeReply, ID: 2}
			switch ty.typ {
			case byte(frame.TypeCancel), byte(frame.TypePong):
				continue // nothing to answer
			case byte(frame.TypePing):
				want.Type = frame.TypePong
			}
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			h, buf, err := rd.ReadFrame()
			if err != nil || h != want {
				t.Fatalf("after the %s: got %v, %v; want %v", ty.name, h, err, want)
			}
			buf.Release()
		}
	})
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 2 {
		t.Fatalf("the actor afterwards: Add = %d, %v; want 2 (one call from the zeroed CALL)", n, err)
	}
}

// CANCEL and PING at odd moments, and call ids at the ends of their range,
// on one connection (PROTOCOL.md, "Types"): a CANCEL before its CALL or
// after its answer changes nothing; ids 0 and 2^64-1 are ids like any
// other; a PING while a call runs, with id 0 or 2^64-1, gets the PONG of
// its id; a CANCEL of a running call ends it with ERROR code 1 naming
// context.Canceled, and its id may be used again once answered.
func TestAttackControlFramesAtOddMoments(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, plain()...)
	conn := authenticated(t, r.Address(), plainKey, 0)
	w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
	const top = 1<<64 - 1
	call := func(id uint64, method string, req []byte) {
		t.Helper()
		if err := writeCalls(w, id, id, method, req); err != nil {
			t.Fatal(err)
		}
	}
	send := func(typ frame.Type, id uint64) {
		t.Helper()
		if err := w.WriteFrame(frame.Header{Type: typ, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(typ frame.Type, id uint64, has string) {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("waiting for %v %d: %v", typ, id, err)
		}
		defer buf.Release()
		if h.Type != typ || h.ID != id || !strings.Contains(string(buf.B), has) {
			t.Fatalf("got %v %q; want %v of id %d holding %q", h, buf.B, typ, id, has)
		}
	}
	one := wire.AppendVarint(nil, 1)
	send(frame.TypeCancel, 5) // before its CALL
	call(5, "block", wire.AppendVarint(nil, int64(20*time.Millisecond)))
	expect(frame.TypeReply, 5, "\x01") // it ran its course: true
	for _, id := range []uint64{top, 0, 3} {
		call(id, "add", one)
		expect(frame.TypeReply, id, "")
	}
	send(frame.TypeCancel, 3) // after its answer
	call(7, "block", wire.AppendVarint(nil, int64(time.Minute)))
	for _, id := range []uint64{0, top} {
		send(frame.TypePing, id)
		expect(frame.TypePong, id, "")
	}
	send(frame.TypeCancel, 7)
	expect(frame.TypeError, 7, "context.Canceled")
	send(frame.TypeCancel, 7) // twice, once answered
	call(7, "add", one)
	expect(frame.TypeReply, 7, "")
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 5 {
		t.Fatalf("the actor afterwards: Add = %d, %v; want 5", n, err)
	}
}
