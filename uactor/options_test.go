package uactor_test

// Options: how they are checked, where a kind's own apply, and what they
// change (interceptors, call timeouts, connections, logging).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

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
	g := spawn(t, ctx, GuardedKind, uactor.Empty{}, uactor.AuthKey(probeKey))
	if _, err := GuardedPing.Call(ctx, g, uactor.Empty{}); err == nil || !strings.Contains(err.Error(), "guarded.ping: no ticket") {
		t.Fatalf("without a ticket: %v; want the kind's server interceptor to refuse", err)
	}
	c := connectTo(t, ctx, GuardedKind, g.Address(), probeKey, uactor.ClientInterceptors(mark("a"), mark("b")))
	if n, err := GuardedPing.Call(ctx, c, uactor.Empty{}); err != nil || n != 1 {
		t.Fatalf("with a ticket: %d, %v", n, err)
	}
	if got := strings.Join(order, " "); got != "a>ping b>ping <b 1 <a 1" {
		t.Fatalf("interceptors ran %q", got)
	}
	if err := spawnFails(t, ctx, GuardedKind, uactor.Empty{}, uactor.ServerInterceptors(requireTicket)); !errors.Is(err, uactor.ErrOption) {
		t.Fatalf("Spawn with ServerInterceptors: %v; want ErrOption", err)
	}
}

// CallInfo.Address: in a server interceptor, the address the actor's refs
// name (the advertised one); in a client interceptor, the one dialled.
func TestInterceptorsSeeAddresses(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	var served, called string
	record := func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		served = info.Address
		return handle(ctx, req)
	}
	r := host(t, ctx, ProbeKind, &Probe{}, uactor.AuthKey(probeKey), uactor.Listen("tcp://127.0.0.1:0"), uactor.Advertise("tcp://localhost:0"),
		uactor.ServerInterceptors(record))
	c := connectTo(t, ctx, ProbeKind, r.Address(), probeKey, uactor.ClientInterceptors(
		func(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
			called = info.Address
			return invoke(ctx, req, resp)
		}))
	if _, err := ProbePing.Call(ctx, c, uactor.Empty{}); err != nil {
		t.Fatal(err)
	}
	if served != r.Advertised() || served == r.Address() {
		t.Errorf("server interceptor saw %q; want the advertised %q, not %q", served, r.Advertised(), r.Address())
	}
	if called != r.Address() {
		t.Errorf("client interceptor saw %q; want the address dialled, %q", called, r.Address())
	}
}

// An interceptor that hands invoke a nil or wrongly typed pointer fails
// the call with an error saying so, instead of panicking in the caller.
func TestInterceptorPassesBadPointers(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := host(t, ctx, ProbeKind, &Probe{}, uactor.AuthKey(probeKey))
	for _, tc := range []struct {
		name      string
		req, resp any
		want      string
	}{
		{"nil request", (*string)(nil), new(string), "meta: interceptor passed a nil *string request to invoke"},
		{"nil response", new(string), (*string)(nil), "meta: interceptor passed a nil *string response to invoke"},
		{"wrong request", new(int), new(string), "meta: interceptor passed *int, *string to invoke; want *string, *string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := connectTo(t, ctx, ProbeKind, r.Address(), probeKey, uactor.ClientInterceptors(
				func(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
					return invoke(ctx, tc.req, tc.resp)
				}))
			_, err := ProbeMeta.Call(ctx, c, "trace")
			if err == nil || err.Error() != "uactor: "+tc.want {
				t.Fatalf("ProbeMeta.Call: %v; want %q", err, "uactor: "+tc.want)
			}
		})
	}
}

// A server interceptor that hands the handler, or returns, a value of
// another type fails the call with an error naming both types.
func TestServerInterceptorPassesBadValues(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	for _, tc := range []struct {
		name string
		ic   uactor.ServerInterceptor
		want string
	}{
		{"request", func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
			return handle(ctx, 7)
		}, "interceptor passed a request of type int; want string"},
		{"response", func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
			return 7, nil
		}, "interceptor returned a response of type int; want string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := host(t, ctx, ProbeKind, &Probe{}, uactor.AuthKey(probeKey), uactor.ServerInterceptors(tc.ic))
			_, err := ProbeMeta.Call(ctx, r, "trace")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ProbeMeta.Call: %v; want it to say %q", err, tc.want)
			}
		})
	}
}

// Connect applies the kind's defaults: the guarded kind's CallTimeout ends a
// call made without a deadline.
func TestConnectAppliesKindDefaults(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	g := spawn(t, ctx, GuardedKind, uactor.Empty{}, uactor.AuthKey(probeKey))
	c := connectTo(t, ctx, GuardedKind, g.Address(), probeKey)
	ticket := uactor.WithMetadata(context.Background(), "ticket", "ok")
	failsWithin(t, "sleep with the kind's CallTimeout(300ms)", context.DeadlineExceeded, 10*time.Second, func() error {
		_, err := GuardedSleep.Call(ticket, c, 20*time.Second)
		return err
	})
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
	p := &Probe{started: make(chan struct{}, 1), release: make(chan struct{})}
	r := host(t, ctx, ProbeKind, p, uactor.AuthKey(probeKey))
	narrow := connectTo(t, ctx, ProbeKind, r.Address(), probeKey, uactor.MaxInFlight(1))
	wide := connectTo(t, ctx, ProbeKind, r.Address(), probeKey)
	held := make(chan error, 1)
	go func() { _, err := ProbeHold.Call(ctx, narrow, uactor.Empty{}); held <- err }()
	receive(t, p.started, 10*time.Second, "the narrow ref's call running") // its one slot is taken
	defer func() {
		close(p.release)
		if err := receive(t, held, 10*time.Second, "the narrow ref's call ending"); err != nil {
			t.Fatal(err)
		}
	}()
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
		{"Listen malformed", uactor.Listen("bogus://x")},
		{"Advertise malformed", uactor.Advertise("bogus://x")},
		{"Advertise port 0, listening on no TCP port", uactor.Advertise("tcp://localhost:0")},
		{"Advertise port 0 written 00, listening on no TCP port", uactor.Advertise("tcp://localhost:00")},
		{"Advertise no host", uactor.Advertise("tcp://:7000")},
		{"Advertise all interfaces", uactor.Advertise("tcp://0.0.0.0:7000")},
		{"Advertise all IPv6 interfaces", uactor.Advertise("tcp://[::]:7000")},
		{"Advertise all interfaces, IPv4-mapped", uactor.Advertise("tcp://[::ffff:0.0.0.0]:7000")},
		{"Advertise longer than a ref's address may be", uactor.Advertise("tcp://" + strings.Repeat("h", 1100) + ":7000")},
		{"Capture malformed", uactor.Capture("bogus://x")},
		{"GracePeriod negative", uactor.GracePeriod(-1)},
		{"MaxFrameSize 0", uactor.MaxFrameSize(0)},
		{"MaxFrameSize huge", uactor.MaxFrameSize(1<<30 + 1)},
		{"HandshakeTimeout 0", uactor.HandshakeTimeout(0)},
		{"DialTimeout 0", uactor.DialTimeout(0)},
		{"WriteTimeout negative", uactor.WriteTimeout(-time.Second)},
		{"Keepalive negative", uactor.Keepalive(-time.Second)},
		{"Spin negative", uactor.Spin(-time.Microsecond)},
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
			if err := spawnFails(t, ctx, ProbeKind, uactor.Empty{}, c.opt); !errors.Is(err, uactor.ErrOption) {
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
	r := spawn(t, ctx, ProbeKind, uactor.Empty{}, uactor.Keepalive(0), uactor.WriteTimeout(0), uactor.GracePeriod(0), uactor.CallTimeout(0), uactor.Compression(0), uactor.Spin(0))
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
	r := spawn(t, ctx, ProbeKind, uactor.Empty{}, uactor.Logger(owner), uactor.AuthKey([]byte("secret-key-bytes")),
		uactor.Output(lineWriter(lines)))
	if _, err := uactor.Connect(ctx, ProbeKind, r.Address(), []byte("wrong-key-bytes")); !errors.Is(err, uactor.ErrAuthKey) {
		t.Fatalf("Connect with a wrong key: %v", err)
	}
	connectTo(t, ctx, ProbeKind, r.Address(), []byte("secret-key-bytes")).Close()
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

// hugeOptions are option values at the top of their type's range, which
// validate accepts as "as good as unbounded": each must work as such,
// never as the opposite (a deadline already past, a panic).
var hugeOptions = []struct {
	name string
	opt  uactor.Option
}{
	{"DialTimeout max", uactor.DialTimeout(math.MaxInt64)},
	{"HandshakeTimeout max", uactor.HandshakeTimeout(math.MaxInt64)},
	{"WriteTimeout max", uactor.WriteTimeout(math.MaxInt64)},
	{"Keepalive max", uactor.Keepalive(math.MaxInt64)},
	{"CallTimeout max", uactor.CallTimeout(math.MaxInt64)},
	{"GracePeriod max", uactor.GracePeriod(math.MaxInt64)},
	{"MaxInFlight max", uactor.MaxInFlight(math.MaxInt)},
	{"MaxConnections max", uactor.MaxConnections(math.MaxInt)},
	{"MaxHandshakes max", uactor.MaxHandshakes(math.MaxInt)},
	{"ConnBuffer max", uactor.ConnBuffer(math.MaxInt)},
	{"MaxFrameSize max", uactor.MaxFrameSize(1 << 30)},
}

// tryHost is uactor.Host that turns a panic into an error, so that one
// case of a table fails rather than the whole test binary.
func tryHost(ctx context.Context, opts ...uactor.Option) (r uactor.Ref[*Counter], err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("Host panicked: %v", p)
		}
	}()
	return uactor.Host(ctx, CounterKind, &Counter{}, opts...)
}

// An option at the top of its range works given to Host and Connect, and
// reaches a spawned actor, which serves with it: through its owner's ref
// and through a connected one (a dial and a handshake).
func TestOptionsAtTheirLargest(t *testing.T) {
	ctx := testCtx(t, 90*time.Second)
	key := []byte("huge-options-key")
	for _, c := range hugeOptions {
		t.Run(c.name, func(t *testing.T) {
			r, err := tryHost(ctx, uactor.AuthKey(key), c.opt)
			if err != nil {
				t.Fatalf("Host: %v", err)
			}
			t.Cleanup(func() { r.Close() })
			if n, err := Add.Call(ctx, connectTo(t, ctx, CounterKind, r.Address(), key, c.opt), 1); err != nil || n != 1 {
				t.Fatalf("Add through a ref connected to a hosted actor: %d, %v", n, err)
			}
			s := spawn(t, ctx, CounterKind, 0, uactor.AuthKey(key), c.opt)
			if n, err := Add.Call(ctx, s, 1); err != nil || n != 1 {
				t.Fatalf("Add through a spawned actor's owner's ref: %d, %v", n, err)
			}
			if n, err := Add.Call(ctx, connectTo(t, ctx, CounterKind, s.Address(), key, c.opt), 1); err != nil || n != 2 {
				t.Fatalf("Add through a ref connected to a spawned actor: %d, %v", n, err)
			}
		})
	}
}

// GracePeriod(d) lets calls in flight run for d when the owner closes the
// actor: with the largest d, a call that ends by itself finishes, rather
// than the process being killed at once.
func TestOptionsLargestGracePeriodLetsCallsFinish(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 30*time.Second)
	r := spawn(t, ctx, CounterKind, 0, uactor.GracePeriod(math.MaxInt64))
	if ok, err := blockThroughClose(t, ctx, r, time.Second, r); err != nil || !ok {
		t.Fatalf("the call in flight at Close: %v, %v; want it to finish within its grace period", ok, err)
	}
}

// inflight0Kind is declared with an option no actor may serve with, which
// every Spawn or Host of it must override (package-level: a kind is
// defined once).
var (
	inflight0Kind = uactor.Define("options-inflight0", func(context.Context, uactor.Empty) (*Counter, error) { return &Counter{}, nil },
		uactor.MaxInFlight(0))
	inflight0Add = uactor.Expose(inflight0Kind, "add", (*Counter).Add)
)

// A ref decoded in a process takes its kind's options from Define, which
// checks none: a kind declared with a value that has no meaning (here
// MaxInFlight(0), no call slot) is refused there, with ErrOption, rather
// than leaving every call through the decoded ref waiting for a slot.
func TestDecodedRefRefusesKindOptions(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	if _, err := uactor.Host(ctx, inflight0Kind, &Counter{}); !errors.Is(err, uactor.ErrOption) {
		t.Fatalf("Host with the kind's MaxInFlight(0): %v; want ErrOption", err)
	}
	r := host(t, ctx, inflight0Kind, &Counter{}, uactor.MaxInFlight(4))
	if _, err := inflight0Add.Call(ctx, r, 1); err != nil {
		t.Fatalf("through the host's ref: %v", err)
	}
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got uactor.Ref[*Counter]
	if err := got.UnmarshalBinary(b); !errors.Is(err, uactor.ErrOption) || !errors.Is(err, uactor.ErrDecode) {
		if err == nil {
			got.Close()
		}
		t.Fatalf("decoding a ref of a kind declared with MaxInFlight(0): %v; want ErrDecode and ErrOption", err)
	} else if strings.Count(err.Error(), "uactor:") != 1 {
		t.Fatalf("decoding a ref of a kind declared with MaxInFlight(0): %q; want \"uactor:\" once", err)
	}
}

// An empty key is refused as an authentication failure, not as an option
// error, whether given with AuthKey or to Connect (README, AuthKey's doc).
func TestEmptyAuthKeyIsErrAuthKey(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	empty := uactor.AuthKey([]byte{})
	if err := spawnFails(t, ctx, ProbeKind, uactor.Empty{}, empty); !errors.Is(err, uactor.ErrAuthKey) {
		t.Errorf("Spawn with AuthKey([]byte{}): %v; want ErrAuthKey", err)
	}
	if _, err := uactor.Host(ctx, ProbeKind, &Probe{}, empty); !errors.Is(err, uactor.ErrAuthKey) {
		t.Errorf("Host with AuthKey([]byte{}): %v; want ErrAuthKey", err)
	}
	if _, err := uactor.Connect(ctx, ProbeKind, "unix:///nonexistent/x.sock", nil); !errors.Is(err, uactor.ErrAuthKey) {
		t.Errorf("Connect with no key: %v; want ErrAuthKey", err)
	}
}
