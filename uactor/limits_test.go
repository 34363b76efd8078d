package uactor_test

// The bounds an actor and a caller keep: frame size, calls in flight,
// connections, write timeouts, and keepalive.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// An authenticated peer that declares a frame over the maximum is dropped,
// and the actor keeps serving others.
func TestFrameOverMaxDropsPeer(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r, c := spawnPlain(t, ctx, uactor.MaxFrameSize(mib))
	c.Write(frameHead(0xFFFFFFF0, 1, 0)) // a call of 4 GiB
	expectDropped(t, c, 10*time.Second)
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("after an oversized frame: Add = %d, %v", n, err)
	}
}

// A handler's error whose message would not fit in a frame is cut short
// rather than dropped: the caller gets it, still matching its registered
// sentinel, and the call's slot comes back.
func TestErrorOverFrameSize(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx, uactor.MaxFrameSize(4096), uactor.MaxInFlight(1))
	_, err := FailLong.Call(ctx, r, 8000)
	if msg := fmt.Sprint(err); !errors.Is(err, ErrNegative) || !strings.HasSuffix(msg, "bytes cut)") || len(msg) > 4096 {
		t.Fatalf("an error of 8000 bytes with a 4 KiB frame: %.60q…%q (%d bytes); want ErrNegative, cut short", msg, msg[max(0, len(msg)-40):], len(msg))
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the next call: Add = %d, %v; want its slot back", n, err)
	}
}

// A request or a response over MaxFrameSize fails its own call, with an
// error that matches ErrTooLarge on the caller's side, and nothing else:
// the connection carries the next call, and a call in flight beside it
// gets its answer.
func TestTooLargeFailsOnlyItsCall(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(context.Context, uactor.Ref[*Counter]) error
	}{
		{"request", func(ctx context.Context, r uactor.Ref[*Counter]) error {
			_, err := Echo.Call(ctx, r, make([]byte, 8<<10))
			return err
		}},
		{"response", func(ctx context.Context, r uactor.Ref[*Counter]) error {
			_, err := Fill.Call(ctx, r, 8<<10)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			r := spawnCounter(t, ctx, uactor.MaxFrameSize(4096))
			beside := make(chan error, 1)
			go func() { _, err := Block.Call(ctx, r, 200*time.Millisecond); beside <- err }()
			err := tc.call(ctx, r)
			if !errors.Is(err, uactor.ErrTooLarge) || errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("a %s over MaxFrameSize: %v; want ErrTooLarge, and not ErrActorDied", tc.name, err)
			}
			if strings.Count(err.Error(), "uactor: ") != 1 {
				t.Errorf("the error says \"uactor: \" more than once: %v", err)
			}
			if err := receive(t, beside, 10*time.Second, "the call beside it"); err != nil {
				t.Fatalf("the call beside it: %v", err)
			}
			if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
				t.Fatalf("the next call: Add = %d, %v", n, err)
			}
		})
	}
}

// Ends with different MaxFrameSize each announce theirs, and neither sends
// a frame larger than the other reads: a request or a response over the
// smaller bound fails its own call with ErrTooLarge, where the reader's
// refusal would cut the connection and every call on it.
func TestFrameBoundsAcrossEnds(t *testing.T) {
	for _, tc := range []struct {
		name          string
		actor, caller []uactor.Option
		call          func(context.Context, uactor.Ref[*Counter]) error
	}{
		{"request over the actor's", []uactor.Option{uactor.MaxFrameSize(4096)}, nil, func(ctx context.Context, r uactor.Ref[*Counter]) error {
			_, err := Echo.Call(ctx, r, make([]byte, 8<<10))
			return err
		}},
		{"response over the caller's", nil, []uactor.Option{uactor.MaxFrameSize(4096)}, func(ctx context.Context, r uactor.Ref[*Counter]) error {
			_, err := Fill.Call(ctx, r, 8<<10)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			owner := keyedCounter(t, "K", tc.actor...)
			r, err := uactor.Connect(ctx, CounterKind, owner.Address(), []byte("K"), tc.caller...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			beside := make(chan error, 1)
			go func() { _, err := Block.Call(ctx, r, 300*time.Millisecond); beside <- err }()
			if err := tc.call(ctx, r); !errors.Is(err, uactor.ErrTooLarge) || errors.Is(err, uactor.ErrActorDied) {
				t.Fatalf("%s: %v; want ErrTooLarge, and not ErrActorDied", tc.name, err)
			}
			if err := receive(t, beside, 10*time.Second, "the call beside it"); err != nil {
				t.Fatalf("the call beside it: %v", err)
			}
			if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
				t.Fatalf("the next call: Add = %d, %v", n, err)
			}
			if _, err := Echo.Call(ctx, r, make([]byte, 3<<10)); err != nil {
				t.Fatalf("a request within both bounds: %v", err)
			}
		})
	}
}

// longKind has a name long enough that the actor's uactor.info reply does
// not fit in a frame of 4 KiB.
var longKind = uactor.Define(strings.Repeat("k", 5000), func(context.Context, int) (*Counter, error) { return &Counter{}, nil })

// Connect's info call whose reply is over the caller's MaxFrameSize fails
// with ErrTooLarge, where the actor, which keeps within the caller's
// bound, would otherwise drop the reply and leave Connect waiting.
func TestInfoReplyOverCallersBound(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := host(t, ctx, longKind, &Counter{}, uactor.AuthKey([]byte("K")))
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := uactor.Connect(cctx, longKind, r.Address(), []byte("K"), uactor.MaxFrameSize(4096))
	if err == nil {
		c.Close()
	}
	if !errors.Is(err, uactor.ErrTooLarge) {
		t.Fatalf("Connect with an info reply over the caller's bound: %v; want ErrTooLarge", err)
	}
}

// A peer that sends calls but never reads their replies is cut off at the
// write deadline, and the actor keeps serving others.
func TestWriteTimeoutCutsOffNonReader(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r, c := spawnPlain(t, ctx, uactor.WriteTimeout(300*time.Millisecond))
	// 8 MiB of replies: far more than the socket holds.
	writeCalls(frame.NewWriter(c, 0), 1, 8, "echo", make([]byte, mib))
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("others while a peer does not read: %d, %v", n, err)
	}
	awaitHangUp(t, ctx, c) // the actor's writes block, then time out: it closes
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, c) // what was sent before the cut, then the end
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the non-reading peer was not cut off: %v", err)
	}
}

// A write that no caller waits for, failing at the write deadline, closes
// the connection too: here the answer the actor held back because a PING
// was buffered behind its CALL, which the reader writes before it reads
// on. The peer does not read, so that write times out mid-frame; the
// connection must not stay open with a truncated frame on it and a Writer
// that fails every later answer.
func TestHeldAnswerWriteFailureCloses(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	_, c := spawnPlain(t, ctx, uactor.WriteTimeout(200*time.Millisecond), uactor.Keepalive(0))
	var burst bytes.Buffer
	w := frame.NewWriter(&burst, 0)
	// fill(8 MiB): a small request for an answer far larger than the socket holds.
	if err := writeCalls(w, 1, 1, "fill", binary.AppendVarint(nil, 8<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(frame.Header{Type: frame.TypePing, ID: 9}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(burst.Bytes()); err != nil { // one write: the PING is buffered behind the CALL
		t.Fatal(err)
	}
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	awaitHangUp(t, hctx, c)
}

// Keepalive finds an actor that stopped answering (SIGSTOP): the call in
// flight fails with ErrActorDied instead of waiting for ever.
// Over TCP the stopped actor's system still acknowledges what the caller
// sends, PINGs included: that must not pass for the actor reading.
func TestKeepaliveFindsStoppedActor(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []uactor.Option
	}{
		{"unix", nil},
		{"tcp", []uactor.Option{uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey([]byte("SECRET"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r := spawnCounter(t, ctx, append(tc.opts, uactor.Keepalive(200*time.Millisecond))...)
			pid := r.PID()
			if tc.opts != nil {
				r = connect(t, ctx, r.Address(), "SECRET", uactor.Keepalive(200*time.Millisecond))
			}
			if _, err := Add.Call(ctx, r, 1); err != nil {
				t.Fatal(err)
			}
			stop(t, pid)
			failsWithin(t, "a call to a stopped actor", uactor.ErrActorDied, 5*time.Second, func() error {
				_, err := Block.Call(ctx, r, time.Minute)
				return err
			})
		})
	}
}

// An owner's actor that keepalive found silent, but whose process lives on
// (stopped, then continued), is not gone: the owner's calls reach it again
// over its address, and once that connection is up they take it at once,
// not after a wait for a reaping that never comes. A second and a third
// freeze cut that connection too, and the calls still reach the actor.
func TestOwnerReachesActorAfterKeepaliveCut(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 60*time.Second)
	r := spawnCounter(t, ctx, uactor.Keepalive(500*time.Millisecond))
	pid := r.PID()
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		stop(t, pid)
		failsWithin(t, "a call to a stopped actor", uactor.ErrActorDied, 10*time.Second, func() error {
			_, err := Block.Call(ctx, r, time.Minute)
			return err
		})
		syscall.Kill(pid, syscall.SIGCONT)
		// The first call may wait to see whether the process is reaped.
		if _, err := Add.Call(ctx, r, 1); err != nil {
			t.Fatalf("round %d: the first call after SIGCONT: %v (done: %v)", round, err, isDone(r))
		}
		// Three calls, each of which would wait a second for the reaping.
		cctx, cancel := context.WithTimeout(ctx, 2900*time.Millisecond)
		for i := range 3 {
			if _, err := Add.Call(cctx, r, 1); err != nil {
				t.Fatalf("round %d, call %d after the connection to the address was up: %v", round, i, err)
			}
		}
		cancel()
	}
	if isDone(r) {
		t.Fatalf("Done closed for an actor whose process runs: %v", r.Err())
	}
}

// An actor at its ConnBuffer bound stops reading the connection until its
// calls end: the caller's frames wait unread, which is no sign that the
// caller is gone, and the actor's own silence is no sign that it is. A
// call that holds the bound for many keepalive periods still succeeds,
// over a Unix socket and over TCP.
func TestKeepaliveSparesPeerAtBufferBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []uactor.Option
	}{
		{"unix", nil},
		{"tcp", []uactor.Option{uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey([]byte("SECRET"))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r := spawnCounter(t, ctx, append(tc.opts, uactor.ConnBuffer(1), uactor.Keepalive(100*time.Millisecond))...)
			if tc.opts != nil {
				r = connect(t, ctx, r.Address(), "SECRET", uactor.Keepalive(100*time.Millisecond))
			}
			if ok, err := Block.Call(ctx, r, 2*time.Second); err != nil || !ok {
				t.Fatalf("a call that holds the buffer for 20 keepalive periods: %v, %v", ok, err)
			}
			if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
				t.Fatalf("the next call: Add = %d, %v", n, err)
			}
		})
	}
}

// slowReader reads at most 64 KiB at a time, waiting a moment before each
// read: a peer at the far end of a slow link.
type slowReader struct{ net.Conn }

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(10 * time.Millisecond)
	return s.Conn.Read(p[:min(len(p), 64<<10)])
}

// A peer that reads the actor's answers as fast as its link lets it, and
// sends nothing meanwhile, is busy, not gone: the actor's PINGs wait behind
// the answers, so its silence must not get it dropped while they drain,
// however many keepalive periods that takes.
func TestKeepaliveSparesPeerDrainingReplies(t *testing.T) {
	for _, network := range []struct {
		name string
		opts []uactor.Option
	}{
		{"unix", nil},
		{"tcp", []uactor.Option{uactor.Listen("tcp://127.0.0.1:0")}},
	} {
		// Over a second to drain, ten periods: as many answers, or as one
		// whose write lasts all that time.
		for _, shape := range []struct {
			name        string
			calls, size int
		}{{"8 answers", 8, mib}, {"1 answer", 1, 8 * mib}} {
			t.Run(network.name+"/"+shape.name, func(t *testing.T) {
				ctx := testCtx(t, 30*time.Second)
				_, c := spawnPlain(t, ctx, append(network.opts, uactor.Keepalive(100*time.Millisecond))...)
				if err := writeCalls(frame.NewWriter(c, 0), 1, uint64(shape.calls), "echo", make([]byte, shape.size)); err != nil {
					t.Fatal(err)
				}
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				pw := frame.NewWriter(c, 0)
				for got, draining := 0, false; got < shape.calls; {
					h, err := skipFrame(slowReader{c})
					if err != nil {
						t.Fatalf("after %d of %d answers: %v", got, shape.calls, err)
					}
					switch h.Type {
					case frame.TypeReply:
						got, draining = got+1, true
					case frame.TypePing:
						// Until the answers come, the peer only waits, and
						// answers as any peer would: the actor may take
						// periods to put an 8 MiB request together and
						// answer it. Once they come, it is busy and answers
						// none.
						if !draining {
							if err := pw.WriteFrame(frame.Header{Type: frame.TypePong, ID: h.ID}); err != nil {
								t.Fatal(err)
							}
						}
					default:
						t.Fatalf("a %v frame among the answers", h.Type)
					}
				}
			})
		}
	}
}

// skipFrame reads a plain frame off r (PROTOCOL.md) and returns its header,
// passing its payload over as it arrives: a peer limited by its link alone.
// A frame.Reader would put an 8 MiB payload together in a growing buffer,
// and the peer would take nothing from the socket while it copies: under
// CPU load, for long enough to be silent for two keepalive periods.
func skipFrame(r io.Reader) (frame.Header, error) {
	var hdr [frame.HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame.Header{}, err
	}
	h := frame.Header{Type: frame.Type(hdr[4]), ID: binary.BigEndian.Uint64(hdr[8:])}
	n := int(binary.BigEndian.Uint32(hdr[:4])) - frame.BodyHeaderSize
	buf := make([]byte, 64<<10)
	for left := n; left > 0; {
		m, err := r.Read(buf[:min(left, len(buf))])
		if left -= m; err != nil && left > 0 {
			return h, fmt.Errorf("%d of a %v frame's %d payload bytes: %w", n-left, h.Type, n, err)
		}
	}
	return h, nil
}

// slowWriter writes at most 64 KiB at a time, waiting a moment before
// each write: a peer sending over a slow link.
type slowWriter struct{ net.Conn }

func (s slowWriter) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		time.Sleep(10 * time.Millisecond)
		m, err := s.Conn.Write(p[n:min(len(p), n+64<<10)])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// A peer whose one large request takes many keepalive periods to arrive
// is heard all along: the actor counts the bytes, not only whole frames.
func TestKeepaliveSparesPeerSendingSlowly(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	_, c := spawnPlain(t, ctx, uactor.Keepalive(100*time.Millisecond))
	// 4 MiB at 64 KiB a step: over half a second, five periods.
	if err := writeCalls(frame.NewWriter(slowWriter{c}, 0), 1, 1, "echo", make([]byte, 4*mib)); err != nil {
		t.Fatalf("sending the request: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	rd := frame.NewReader(c, 0)
	for {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("waiting for the answer: %v", err)
		}
		buf.Release()
		if h.Type == frame.TypeReply {
			return
		}
	}
}

// The same at the bound on answers queued for the peer: an actor that has
// stopped reading because its peer has not taken its answers yet keeps
// the peer, however many periods pass, until the peer takes them.
func TestKeepaliveSparesPeerAtReplyBound(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	_, c := spawnPlain(t, ctx, uactor.ConnBuffer(64<<10), uactor.Keepalive(100*time.Millisecond), uactor.WriteTimeout(0))
	const calls = 8
	wrote := make(chan error, 1) // the actor reads the calls only as its answers leave
	go func() { wrote <- writeCalls(frame.NewWriter(c, 0), 1, calls, "echo", make([]byte, mib)) }()
	time.Sleep(time.Second) // ten periods in which the peer takes nothing
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	rd := frame.NewReader(c, 0)
	for got := 0; got < calls; {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("after %d of %d answers: %v", got, calls, err)
		}
		buf.Release()
		if h.Type == frame.TypeReply {
			got++
		}
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}

// A peer that hangs up while the actor has stopped reading its connection
// (at the ConnBuffer bound) is still found gone: its calls are cancelled,
// not left to run for ever. With a CALL behind the bound, which the actor
// leaves unread, the hang-up is found by looking for it, at the next
// keepalive look, or, with keepalive off, every second.
func TestHangUpFoundAtBufferBound(t *testing.T) {
	for _, c := range []struct {
		name      string
		keepalive time.Duration
		behind    bool // a CALL waits behind the bound
	}{
		{"keepalive", 100 * time.Millisecond, false},
		{"keepalive, a call behind", 100 * time.Millisecond, true},
		{"keepalive off", 0, false},
		{"keepalive off, a call behind", 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 30*time.Second)
			r, nc := spawnPlain(t, ctx, uactor.ConnBuffer(1), uactor.Keepalive(c.keepalive))
			w := frame.NewWriter(nc, 0)
			writeCalls(w, 1, 1, "block", binary.AppendVarint(nil, int64(time.Minute)))
			waitCalls(t, ctx, r, 1)
			if c.behind {
				writeCalls(w, 2, 2, "block", binary.AppendVarint(nil, int64(time.Minute)))
			}
			nc.Close()
			for {
				if was, err := WasCancelled.Call(ctx, r, uactor.Empty{}); err != nil {
					t.Fatal(err)
				} else if was {
					return
				}
				if ctx.Err() != nil {
					t.Fatal("the call of a peer that hung up still runs")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// A stopped actor and a caller's deadline: the call fails at the deadline;
// after SIGCONT the late reply is dropped and the ref works on.
func TestStoppedActorDeadlineAndLateReply(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx)
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	stop(t, r.PID())
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err := Add.Call(dctx, r, 10) // its reply comes after SIGCONT, too late
	cancel()
	syscall.Kill(r.PID(), syscall.SIGCONT)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call to a stopped actor with a deadline = %v", err)
	}
	n, err := Add.Call(ctx, r, 100)
	if err != nil || (n != 101 && n != 111) {
		t.Fatalf("after SIGCONT: Add = %d, %v; want this call's own answer", n, err)
	}
}

// The actor answers calls over its in-flight bound with ErrBusy, without
// running them (so a flood from one peer cannot grow its goroutines).
func TestMaxInFlightActorRefusesExcess(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r, c := spawnPlain(t, ctx, uactor.MaxInFlight(4))
	rd := frame.NewReader(c, 0)
	writeCalls(frame.NewWriter(c, 0), 1, 10, "block", binary.AppendVarint(nil, int64(10*time.Second)))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for range 6 {
		h, buf, err := rd.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if h.Type != frame.TypeError || len(buf.B) == 0 || buf.B[0] != 6 {
			t.Fatalf("frame %v %q; want a busy error", h, buf.B)
		}
		buf.Release()
	}
	// Six refused and no more, so at most four can run; the four admitted
	// start on workers in their own time, which a busy machine delays.
	waitCalls(t, ctx, r, 4)
	if n := calls(t, ctx, r); n != 4 {
		t.Fatalf("handlers run = %d; want the 4 within the bound", n)
	}
}

// A caller over its connection's bound waits for a slot (for its context).
// The slots of calls whose callers gave up come back once the actor answers
// them, though no call is left to read the answers: on the owner's
// connection, with keepalive off, nothing else would.
func TestMaxInFlightCallerWaits(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := keyedCounter(t, "SECRET", uactor.MaxInFlight(4), uactor.Keepalive(0))
	probe := connect(t, ctx, r.Address(), "SECRET") // a connection with slots of its own
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var blocked sync.WaitGroup
	for range 4 {
		blocked.Go(func() { Block.Call(bctx, r, 10*time.Second) })
	}
	waitCalls(t, ctx, probe, 4) // the four hold their slots: their handlers run
	wctx, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	if _, err := Add.Call(wctx, r, 1); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "slot") {
		t.Fatalf("5th call over the bound = %v; want it to wait for a slot", err)
	}
	cancel()
	blocked.Wait()
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("once slots free up: %d, %v", n, err)
	}
}

// A caller that gives up while it reads for others, and is handed the read
// role back before it has marked its call abandoned, passes the role on
// again: a connection whose reader had left would be read by nobody. Two
// callers give up at once; the first to stop reading is held (by a test
// hook) until the other has handed it the role back. No idle watcher may
// hold the role meanwhile, as one would after a pause before the calls.
func TestGiveUpWhileHandedTheReadRole(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	uactor.SetNoIdleWatcher(true)
	t.Cleanup(func() { uactor.SetNoIdleWatcher(false) })
	p := &Probe{started: make(chan struct{}, 1), release: make(chan struct{})}
	h := host(t, ctx, ProbeKind, p, uactor.AuthKey(probeKey))
	r := connectTo(t, ctx, ProbeKind, h.Address(), probeKey, uactor.Keepalive(0))
	var held atomic.Bool
	inWindow, proceed := make(chan struct{}), make(chan struct{})
	uactor.SetLeadReturnedHook(func() {
		if held.CompareAndSwap(false, true) {
			close(inWindow)
			<-proceed
		}
	})
	t.Cleanup(func() { uactor.SetLeadReturnedHook(nil) })
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gave := make(chan error, 2)
	for range 2 {
		go func() { _, err := ProbeWait.Call(bctx, r, uactor.Empty{}); gave <- err }()
	}
	for range 2 {
		receive(t, p.started, 10*time.Second, "a call's handler running")
	}
	cancel()
	receive(t, inWindow, 10*time.Second, "a reader stopping")
	if err := receive(t, gave, 10*time.Second, "the other caller giving up"); !errors.Is(err, context.Canceled) {
		t.Fatalf("the other caller: %v", err)
	}
	close(proceed)
	if err := receive(t, gave, 10*time.Second, "the held caller giving up"); !errors.Is(err, context.Canceled) {
		t.Fatalf("the held caller: %v", err)
	}
	pctx, cancel2 := context.WithTimeout(ctx, 5*time.Second) // a hang guard
	defer cancel2()
	if _, err := ProbePing.Call(pctx, r, uactor.Empty{}); err != nil {
		t.Fatalf("a call after both gave up: %v", err)
	}
}

// Connections over the actor's bound are refused in their handshake's
// verdict, once their proof verified, and closed; connections still in their handshake do not
// count; those admitted are served.
func TestMaxConnections(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx, plain(uactor.MaxConnections(3))...)
	if _, err := Add.Call(ctx, r, 1); err != nil { // the owner's connection: 1 of 3
		t.Fatal(err)
	}
	for range 10 {
		dialRaw(t, r.Address()) // silent, in their handshake: they do not count
	}
	var conns []net.Conn
	for range 2 {
		c := authenticated(t, r.Address(), plainKey, 0) // 3 of 3
		// Served: an echo comes back (and so the actor counts it already).
		writeCalls(frame.NewWriter(c, 0), 1, 1, "echo", []byte("admitted"))
		if got := readAnswers(c, frame.NewReader(c, 0), 1); got.replies != 1 {
			t.Fatalf("an admitted connection's call: %+v; want its reply", got)
		}
		conns = append(conns, c)
	}
	// One more key holder proves the key and is told, in the verdict,
	// that the actor is full.
	extra := dialRaw(t, r.Address())
	if _, err := handshake.Client(extra, handshake.ClientConfig{Key: uactor.StretchKey([]byte(plainKey)), Deadline: time.Now().Add(5 * time.Second)}); !errors.Is(err, handshake.ErrFull) {
		t.Fatalf("a connection beyond the bound: %v; want the verdict full", err)
	}
	expectDropped(t, extra, 10*time.Second)
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 2 {
		t.Fatalf("admitted connection: %d, %v", n, err)
	}
	for _, c := range conns {
		c.Close()
	}
}

// A client that announces a maximum frame under 4096 in its hello is read
// as announcing 4096 (PROTOCOL.md, "Frames"): the actor sends it a REPLY
// of exactly 4096 bytes, and replaces one byte more by an ERROR with code
// 1 naming uactor.ErrTooLarge.
func TestSmallAnnouncedMaxFrame(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnCounter(t, ctx, plain()...)
	for _, announced := range []uint32{100, 4095, 4096} {
		t.Run(strconv.Itoa(int(announced)), func(t *testing.T) {
			conn, _ := authenticatedSession(t, r.Address(), plainKey, 0, announced)
			w, rd := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)
			const most = 4096 - frame.BodyHeaderSize
			for i, n := range []int64{most, most + 1} {
				if err := writeCalls(w, uint64(i+1), uint64(i+1), "fill", wire.AppendVarint(nil, n)); err != nil {
					t.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				h, buf, err := rd.ReadFrame()
				if err != nil {
					t.Fatal(err)
				}
				got := string(buf.B)
				buf.Release()
				switch {
				case n == most && (h.Type != frame.TypeReply || len(got) != most):
					t.Fatalf("fill(%d): %v of %d bytes; want a REPLY of %d", n, h, len(got), most)
				case n > most && (h.Type != frame.TypeError || got[0] != 1 || !strings.Contains(got, "uactor.ErrTooLarge")):
					t.Fatalf("fill(%d): %v %q; want ERROR code 1 naming uactor.ErrTooLarge", n, h, got)
				}
			}
		})
	}
}
