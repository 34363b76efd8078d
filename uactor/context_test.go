package uactor_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Probe reports what its handlers' contexts carry.
type Probe struct {
	runs    atomic.Int64 // ping handlers run
	started chan struct{}
	release chan struct{}
}

func (p *Probe) Deadline(ctx context.Context, _ uactor.Empty) (time.Time, error) {
	dl, _ := ctx.Deadline()
	return dl, nil
}

func (p *Probe) Meta(ctx context.Context, key string) (string, error) {
	v, ok := uactor.MetadataFrom(ctx, key)
	if !ok {
		return "", fmt.Errorf("no metadata %q", key)
	}
	return v, nil
}

// Relay asks to, with its own context, for the "trace" metadata and the deadline it sees.
func (p *Probe) Relay(ctx context.Context, to uactor.Ref[*Probe]) (string, error) {
	v, err := ProbeMeta.Call(ctx, to, "trace")
	if err != nil {
		return "", err
	}
	dl, err := ProbeDeadline.Call(ctx, to, uactor.Empty{})
	if err != nil {
		return "", err
	}
	defer to.Close()
	return fmt.Sprintf("%s %d", v, dl.UnixNano()), nil
}

func (p *Probe) Ping(ctx context.Context, _ uactor.Empty) (int64, error) { return p.runs.Add(1), nil }

func (p *Probe) Runs(ctx context.Context, _ uactor.Empty) (int64, error) { return p.runs.Load(), nil }

// Hold signals started and waits for release (only for hosted probes).
func (p *Probe) Hold(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	p.started <- struct{}{}
	<-p.release
	return uactor.Empty{}, nil
}

func (p *Probe) Sleep(ctx context.Context, d time.Duration) (uactor.Empty, error) {
	select {
	case <-time.After(d):
		return uactor.Empty{}, nil
	case <-ctx.Done():
		return uactor.Empty{}, ctx.Err()
	}
}

// requireTicket is the guarded kind's server interceptor: no "ticket", no call.
func requireTicket(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
	if v, _ := uactor.MetadataFrom(ctx, "ticket"); v != "ok" {
		return nil, fmt.Errorf("%s.%s: no ticket", info.Kind, info.Method)
	}
	return handle(ctx, req)
}

func newProbe(context.Context, uactor.Empty) (*Probe, error) { return &Probe{}, nil }

var (
	ProbeKind     = uactor.Define("probe", newProbe)
	ProbeDeadline = uactor.Expose(ProbeKind, "deadline", (*Probe).Deadline)
	ProbeMeta     = uactor.Expose(ProbeKind, "meta", (*Probe).Meta)
	ProbeRelay    = uactor.Expose(ProbeKind, "relay", (*Probe).Relay)
	ProbePing     = uactor.Expose(ProbeKind, "ping", (*Probe).Ping)
	ProbeRuns     = uactor.Expose(ProbeKind, "runs", (*Probe).Runs)
	ProbeHold     = uactor.Expose(ProbeKind, "hold", (*Probe).Hold)
	ProbeSleep    = uactor.Expose(ProbeKind, "sleep", (*Probe).Sleep)

	// A kind whose declaration carries options that must reach both ends:
	// a server interceptor (which runs in the spawned process because the
	// declaration runs there too) and a default call timeout.
	GuardedKind = uactor.Define("guarded", newProbe,
		uactor.ServerInterceptors(requireTicket), uactor.CallTimeout(300*time.Millisecond))
	GuardedPing  = uactor.Expose(GuardedKind, "ping", (*Probe).Ping)
	GuardedSleep = uactor.Expose(GuardedKind, "sleep", (*Probe).Sleep)
)

func spawnProbe(t *testing.T, ctx context.Context, opts ...uactor.Option) uactor.Ref[*Probe] {
	t.Helper()
	r, err := uactor.Spawn(ctx, ProbeKind, uactor.Empty{}, opts...)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	t.Cleanup(func() { r.Close(); assertGone(t, r.PID(), 2*time.Second) })
	return r
}

func near(a, b time.Time, d time.Duration) bool { return a.Sub(b) < d && b.Sub(a) < d }

// The handler's context has the caller's deadline, and none when the caller had none.
func TestDeadlineReachesHandler(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnProbe(t, ctx)
	if dl, err := ProbeDeadline.Call(context.Background(), r, uactor.Empty{}); err != nil || !dl.IsZero() {
		t.Fatalf("no deadline: handler saw %v, %v; want none", dl, err)
	}
	want := time.Now().Add(7 * time.Second)
	dctx, cancel := context.WithDeadline(ctx, want)
	defer cancel()
	dl, err := ProbeDeadline.Call(dctx, r, uactor.Empty{})
	if err != nil || !near(dl, want, time.Second) {
		t.Fatalf("handler saw deadline %v, %v; want about %v", dl, err, want)
	}
}

// Metadata and the deadline reach a handler, and flow on from it to the
// calls it makes with its context: caller -> A -> B, three processes.
func TestMetadataAndDeadlineFlowToNestedCalls(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	a, b := spawnProbe(t, ctx), spawnProbe(t, ctx)
	want := time.Now().Add(9 * time.Second)
	cctx, cancel := context.WithDeadline(uactor.WithMetadata(ctx, "trace", "first"), want)
	defer cancel()
	cctx = uactor.WithMetadata(uactor.WithMetadata(cctx, "other", "x"), "trace", "abc-123")
	if v, err := ProbeMeta.Call(cctx, a, "trace"); err != nil || v != "abc-123" {
		t.Fatalf("A saw trace %q, %v; want abc-123 (the later value)", v, err)
	}
	got, err := ProbeRelay.Call(cctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	var v string
	var ns int64
	if _, err := fmt.Sscanf(got, "%s %d", &v, &ns); err != nil || v != "abc-123" || !near(time.Unix(0, ns), want, time.Second) {
		t.Fatalf("B, called by A, saw %q; want trace abc-123 and a deadline near %v", got, want)
	}
	if _, err := ProbeMeta.Call(ctx, a, "trace"); err == nil {
		t.Fatal("a call without metadata: the handler found some")
	}
}

// Metadata over the bound fails at the caller, and nothing reaches the actor.
func TestMetadataOverBoundFailsAtCaller(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnProbe(t, ctx)
	big := uactor.WithMetadata(ctx, "big", strings.Repeat("x", uactor.MaxMetadataSize))
	if _, err := ProbePing.Call(big, r, uactor.Empty{}); !errors.Is(err, uactor.ErrMetadataTooLarge) {
		t.Fatalf("err = %v; want ErrMetadataTooLarge", err)
	}
	fits := uactor.WithMetadata(ctx, "big", strings.Repeat("x", uactor.MaxMetadataSize-8))
	if n, err := ProbePing.Call(fits, r, uactor.Empty{}); err != nil || n != 1 {
		t.Fatalf("metadata within the bound: ping = %d, %v; want the first run", n, err)
	}
}

// A call queued behind a Serial actor's running call, whose deadline passes
// while it waits, is dropped: its handler never runs.
func TestExpiredCallDroppedBehindSerialLock(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := &Probe{started: make(chan struct{}, 1), release: make(chan struct{})}
	r, err := uactor.Host(ctx, ProbeKind, p, uactor.Serial(), uactor.AuthKey([]byte("k")), uactor.Sealed(false)) // frames by hand
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	held := make(chan error, 1)
	go func() { _, err := ProbeHold.Call(ctx, r, uactor.Empty{}); held <- err }()
	<-p.started
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := ProbePing.Call(dctx, r, uactor.Empty{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued call: %v; want DeadlineExceeded", err)
	}
	time.Sleep(300 * time.Millisecond) // past the actor's copy of the deadline too
	close(p.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	// The same with a caller that sends no CANCEL when it gives up: the
	// actor's own copy of the deadline drops the call, and says so (code 7).
	p.release = make(chan struct{})
	go func() { _, err := ProbeHold.Call(ctx, r, uactor.Empty{}); held <- err }()
	<-p.started
	c := authenticated(t, r.Address(), "k")
	w, rd := frame.NewWriter(c, 0), frame.NewReader(c, 0)
	callCtx := append([]byte{1}, binary.AppendUvarint(nil, uint64(200*time.Millisecond))...)
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, callCtx, []byte("\x04ping"))
	time.Sleep(500 * time.Millisecond)
	close(p.release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	expectExpired(t, c, rd, 1)
	if _, err := ProbeDeadline.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatalf("afterwards: %v", err)
	}
	r.Close() // waits for every call in flight: a queued ping has run or been dropped
	if n := p.runs.Load(); n != 0 {
		t.Fatalf("ping ran %d times; want 0: both deadlines passed in the queue", n)
	}
}

// On the wire: a CALL whose deadline is already over is answered with
// error code 7 and its handler does not run.
func TestExpiredOnArrivalAnsweredNotRun(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := keyedCounter(t, "k", uactor.Sealed(false)) // frames by hand
	c := authenticated(t, r.Address(), "k")
	w, rd := frame.NewWriter(c, 0), frame.NewReader(c, 0)
	// flags Deadline, 0 ns left; then "add" and its request.
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 1}, []byte("\x01\x00\x03add"), wire.AppendVarint(nil, 5))
	expectExpired(t, c, rd, 1)
	if n, err := Calls.Call(ctx, r, uactor.Empty{}); err != nil || n != 0 {
		t.Fatalf("handlers run = %d, %v; want 0", n, err)
	}
	// A malformed call context (an unknown flag) drops the peer.
	w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: 2}, []byte("\x80\x03add"), wire.AppendVarint(nil, 5))
	if _, _, err := rd.ReadFrame(); err == nil {
		t.Fatal("a call with an unknown context flag was answered; want the connection closed")
	}
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

// Client interceptors run outermost first and may add metadata; server
// interceptors see it, and the kind's own (declared with Define) run in the
// spawned process.
func TestInterceptors(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var order []string
	mark := func(name string) uactor.ClientInterceptor {
		return func(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
			order = append(order, name+">"+info.Method)
			err := invoke(uactor.WithMetadata(ctx, "ticket", "ok"), req, resp)
			order = append(order, fmt.Sprintf("<%s %d", name, *resp.(*int64)))
			return err
		}
	}
	g, err := uactor.Spawn(ctx, GuardedKind, uactor.Empty{}, uactor.AuthKey(probeKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(); assertGone(t, g.PID(), 2*time.Second) })
	if _, err := GuardedPing.Call(ctx, g, uactor.Empty{}); err == nil || !strings.Contains(err.Error(), "guarded.ping: no ticket") {
		t.Fatalf("without a ticket: %v; want the kind's server interceptor to refuse", err)
	}
	c, err := uactor.Connect(ctx, GuardedKind, g.Address(), probeKey, uactor.ClientInterceptors(mark("a"), mark("b")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, err := GuardedPing.Call(ctx, c, uactor.Empty{}); err != nil || n != 1 {
		t.Fatalf("with a ticket: %d, %v", n, err)
	}
	if got := strings.Join(order, " "); got != "a>ping b>ping <b 1 <a 1" {
		t.Fatalf("interceptors ran %q", got)
	}
	if _, err := uactor.Spawn(ctx, GuardedKind, uactor.Empty{}, uactor.ServerInterceptors(requireTicket)); !errors.Is(err, uactor.ErrOption) {
		t.Fatalf("Spawn with ServerInterceptors: %v; want ErrOption", err)
	}
}

// probeKey is the key of the actors that these tests Connect to.
var probeKey = []byte("probe key")

// Connect applies the kind's defaults: the guarded kind's CallTimeout ends a
// call made without a deadline.
func TestConnectAppliesKindDefaults(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	g, err := uactor.Spawn(ctx, GuardedKind, uactor.Empty{}, uactor.AuthKey(probeKey))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close(); assertGone(t, g.PID(), 2*time.Second) })
	c, err := uactor.Connect(ctx, GuardedKind, g.Address(), probeKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ticket := uactor.WithMetadata(context.Background(), "ticket", "ok")
	start := time.Now()
	if _, err := GuardedSleep.Call(ticket, c, 20*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sleep with the kind's CallTimeout: %v; want DeadlineExceeded", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("CallTimeout(300ms) ended the call only after %v", el)
	}
	long, cancel := context.WithTimeout(ticket, 5*time.Second)
	defer cancel()
	if _, err := GuardedSleep.Call(long, c, 600*time.Millisecond); err != nil {
		t.Fatalf("a caller's own deadline replaces CallTimeout: %v", err)
	}
}

// Refs with different connection options do not share a connection: one
// with MaxInFlight(1) and a call in flight does not hold up another's calls.
func TestConnectionOptionsKeyTheConnection(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := spawnProbe(t, ctx, uactor.AuthKey(probeKey))
	narrow, err := uactor.Connect(ctx, ProbeKind, r.Address(), probeKey, uactor.MaxInFlight(1))
	if err != nil {
		t.Fatal(err)
	}
	defer narrow.Close()
	wide, err := uactor.Connect(ctx, ProbeKind, r.Address(), probeKey)
	if err != nil {
		t.Fatal(err)
	}
	defer wide.Close()
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go ProbeSleep.Call(bctx, narrow, 20*time.Second)
	time.Sleep(100 * time.Millisecond)
	qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
	defer qcancel()
	if _, err := ProbePing.Call(qctx, wide, uactor.Empty{}); err != nil {
		t.Fatalf("the default ref waited for the narrow one's slot: %v", err)
	}
	sctx, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer scancel()
	if _, err := ProbePing.Call(sctx, narrow, uactor.Empty{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the MaxInFlight(1) ref with its one call in flight: %v; want it to wait", err)
	}
}

// Every option has one meaning of zero, and a value with none is an error
// at Spawn, Connect and Host alike.
func TestOptionsValidated(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	bad := []struct {
		name string
		opt  uactor.Option
	}{
		{"Listen empty", uactor.Listen("")},
		{"GracePeriod negative", uactor.GracePeriod(-1)},
		{"MaxFrameSize 0", uactor.MaxFrameSize(0)},
		{"MaxFrameSize huge", uactor.MaxFrameSize(2 << 30)},
		{"HandshakeTimeout 0", uactor.HandshakeTimeout(0)},
		{"DialTimeout 0", uactor.DialTimeout(0)},
		{"WriteTimeout negative", uactor.WriteTimeout(-time.Second)},
		{"Keepalive negative", uactor.Keepalive(-time.Second)},
		{"MaxInFlight 0", uactor.MaxInFlight(0)},
		{"MaxConnections 0", uactor.MaxConnections(0)},
		{"MaxHandshakes 0", uactor.MaxHandshakes(0)},
		{"ConnBuffer 0", uactor.ConnBuffer(0)},
		{"Compression above frame size", uactor.Compression(64 << 20)},
		{"CallTimeout negative", uactor.CallTimeout(-time.Second)},
		{"Restart negative", uactor.Restart(-1, time.Minute)},
		{"nil client interceptor", uactor.ClientInterceptors(nil)},
		{"nil server interceptor", uactor.ServerInterceptors(nil)},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if _, err := uactor.Spawn(ctx, ProbeKind, uactor.Empty{}, c.opt); !errors.Is(err, uactor.ErrOption) {
				t.Errorf("Spawn: %v; want ErrOption", err)
			}
			if _, err := uactor.Connect(ctx, ProbeKind, "unix:///nonexistent/x.sock", []byte("k"), c.opt); !errors.Is(err, uactor.ErrOption) {
				t.Errorf("Connect: %v; want ErrOption", err)
			}
			if _, err := uactor.Host(ctx, ProbeKind, &Probe{}, c.opt); !errors.Is(err, uactor.ErrOption) {
				t.Errorf("Host: %v; want ErrOption", err)
			}
		})
	}
	// Zero where zero means "off" is fine.
	r := spawnProbe(t, ctx, uactor.Keepalive(0), uactor.WriteTimeout(0), uactor.GracePeriod(0), uactor.CallTimeout(0), uactor.Compression(0))
	if _, err := ProbePing.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatal(err)
	}
}

// A spawned actor logs as its owner chose: the owner's Logger (JSON, from
// Debug) travels as its format and level, and the actor's records reach its
// standard error in that form: connection churn at Debug, a failed
// authentication at Warn with no key material.
func TestSpawnedActorLogsAsOwnerChose(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	lines := make(chan string, 100)
	owner := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := uactor.Spawn(ctx, ProbeKind, uactor.Empty{}, uactor.Logger(owner), uactor.AuthKey([]byte("secret-key-bytes")),
		uactor.Output(lineWriter(lines)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); assertGone(t, r.PID(), 2*time.Second) })
	if _, err := uactor.Connect(ctx, ProbeKind, r.Address(), []byte("wrong-key-bytes")); !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("Connect with a wrong key: %v", err)
	}
	c, err := uactor.Connect(ctx, ProbeKind, r.Address(), []byte("secret-key-bytes"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	// The actor writes its records on its own goroutines: wait for them.
	want := map[string]bool{`"level":"WARN","msg":"uactor: authentication failed","role":"server"`: false,
		`"level":"DEBUG","msg":"uactor: connection opened","role":"server"`: false}
	var seen []string
	for missing := len(want); missing > 0; {
		select {
		case l := <-lines:
			seen = append(seen, l)
			if strings.Contains(l, "key-bytes") {
				t.Fatalf("the actor's record holds key material: %s", l)
			}
			for w, found := range want {
				if !found && strings.Contains(l, w) {
					want[w] = true
					missing--
				}
			}
		case <-ctx.Done():
			t.Fatalf("the actor's records lack some of %v:\n%s", want, strings.Join(seen, "\n"))
		}
	}
}

// lineWriter passes each Write (Output writes one line at a time) on to lines,
// dropping what does not fit rather than blocking the actor's relay.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default:
	}
	return len(p), nil
}
