package uactor

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Every option survives the spawn bootstrap. The sample sets every field to
// something other than its zero and its default, so a field added to
// options but not to the bootstrap fails here.
func TestBootstrapRoundTripsEveryOption(t *testing.T) {
	nop := func(ctx context.Context, info CallInfo, req, resp any, invoke Invoker) error { return nil }
	nopS := func(ctx context.Context, info CallInfo, req any, h ServerHandler) (any, error) { return nil, nil }
	for _, lg := range []struct {
		name string
		l    *slog.Logger
	}{
		{"json debug", slog.New(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelDebug}))},
		{"text warn", slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}))},
		{"discard", slog.New(slog.DiscardHandler)},
	} {
		t.Run(lg.name, func(t *testing.T) {
			o := defaultOptions().with([]Option{
				Listen("tcp://127.0.0.1:0"), Advertise("tcp://example:0"), AuthKey([]byte("k")),
				Capture("tcp://0.0.0.0:1"), GracePeriod(3 * time.Second), Serial(), Sealed(false),
				MaxFrameSize(1 << 20), HandshakeTimeout(2 * time.Second), DialTimeout(4 * time.Second),
				WriteTimeout(7 * time.Second), Keepalive(11 * time.Second), Spin(31 * time.Microsecond), MaxInFlight(13), MaxConnections(17),
				MaxHandshakes(23), ConnBuffer(29 << 20), Restart(3, time.Minute), Output(&bytes.Buffer{}),
				Compression(4096), CallTimeout(19 * time.Second), Logger(lg.l),
				ClientInterceptors(nop), ServerInterceptors(nopS),
			})
			def := defaultOptions()
			ov, dv := reflect.ValueOf(o), reflect.ValueOf(def)
			for i := range ov.NumField() {
				if ov.Field(i).IsZero() || fmt.Sprint(ov.Field(i)) == fmt.Sprint(dv.Field(i)) {
					t.Fatalf("the sample leaves options.%s at its zero or default: set it, and make it travel", ov.Type().Field(i).Name)
				}
			}
			b := &bootstrap{kind: "k", treeKey: []byte("tree"), key: []byte("key"), opts: o, arg: []byte("arg")}
			got, err := decodeBootstrap(b.encode())
			if err != nil {
				t.Fatal(err)
			}
			gv := reflect.ValueOf(got.opts)
			for i := range ov.NumField() {
				name := ov.Type().Field(i).Name
				switch name {
				case "key", "captures": // the key travels beside the options; captures are Connect's
					continue
				case "restart", "output": // the owner's: it restarts the actor and relays its lines
					continue
				case "clientIC", "serverIC": // functions: the child takes them from the kind's declaration
					if !gv.Field(i).IsZero() {
						t.Errorf("%s travelled", name)
					}
					continue
				case "logger": // as its format and level
					f1, l1 := describeLogger(o.logger)
					f2, l2 := describeLogger(got.opts.logger)
					if f1 != f2 || l1 != l2 {
						t.Errorf("logger: sent (%d, %v), got (%d, %v)", f1, l1, f2, l2)
					}
					continue
				}
				if fmt.Sprint(gv.Field(i)) != fmt.Sprint(ov.Field(i)) {
					t.Errorf("options.%s: sent %v, got %v", name, ov.Field(i), gv.Field(i))
				}
			}
			if got.kindLogger {
				t.Error("a Spawn logger came back as the kind's")
			}
			b.kindLogger = true
			if again, err := decodeBootstrap(b.encode()); err != nil || !again.kindLogger || again.opts.logger != nil {
				t.Errorf("the kind's logger: kindLogger %v, logger %v, %v; want the child to take its own", again.kindLogger, again.opts.logger, err)
			}
			if got.kind != "k" || string(got.key) != "key" || string(got.treeKey) != "tree" || string(got.arg) != "arg" {
				t.Errorf("bootstrap fields: %+v", got)
			}
		})
	}
}

func TestMetadataInContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := MetadataFrom(ctx, "a"); ok {
		t.Fatal("empty context has metadata")
	}
	c1 := WithMetadata(ctx, "a", "1")
	c2 := WithMetadata(WithMetadata(c1, "b", ""), "a", "2")
	if v, ok := MetadataFrom(c1, "a"); !ok || v != "1" {
		t.Fatalf("c1 a = %q, %v", v, ok)
	}
	if v, ok := MetadataFrom(c2, "a"); !ok || v != "2" {
		t.Fatalf("c2 a = %q, %v; want the later value", v, ok)
	}
	if v, ok := MetadataFrom(c2, "b"); !ok || v != "" {
		t.Fatalf("c2 b = %q, %v; want present and empty", v, ok)
	}
	var pairs []string
	for k, v := range AllMetadata(c2) {
		pairs = append(pairs, k+"="+v)
	}
	if strings.Join(pairs, ",") != "b=,a=2" {
		t.Fatalf("AllMetadata = %v", pairs)
	}
}

// The call context round-trips, and its handler context carries it.
func TestCallContextRoundTrip(t *testing.T) {
	dl := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(WithMetadata(context.Background(), "traceparent", "00-abc-def-01"), dl)
	defer cancel()
	b, err := appendCallContext(nil, ctx)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "rest"...)
	cc, rest, err := parseCallContext(b, time.Now())
	if err != nil || string(rest) != "rest" {
		t.Fatalf("parse: %q, %v", rest, err)
	}
	var cs callCtxs
	hctx := cs.next(cc)
	defer hctx.cancel(context.Canceled)
	if got, ok := hctx.Deadline(); !ok || got.Sub(dl) > time.Second || dl.Sub(got) > time.Second {
		t.Fatalf("handler deadline %v, %v; want about %v", got, ok, dl)
	}
	if v, _ := MetadataFrom(hctx, "traceparent"); v != "00-abc-def-01" {
		t.Fatalf("handler metadata %q", v)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := appendCallContext(nil, expired); err != context.DeadlineExceeded {
		t.Fatalf("expired context: %v", err)
	}
}

// The call context's metadata as a peer may send it: lengths past 64
// bits are malformed; a key sent twice reaches the handler once, with its
// first value, however many keys come before the repeat.
func TestCallContextMetadataFromPeer(t *testing.T) {
	withMetadata := func(pairs ...string) []byte {
		var md []byte
		for i := 0; i < len(pairs); i += 2 {
			md = appendPair(md, pairs[i], pairs[i+1])
		}
		p := binary.AppendUvarint([]byte{callHasMetadata}, uint64(len(md)))
		return append(append(p, md...), "method"...)
	}
	overflow := append([]byte{callHasMetadata, 12}, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02, 1, 'v')
	if _, _, err := parseCallContext(overflow, time.Now()); err == nil {
		t.Error("a key length of 2^64 wrapped round to 0 and was accepted")
	}
	many := make([]string, 0, 80)
	for i := range 40 {
		many = append(many, fmt.Sprint("k", i), fmt.Sprint(i))
	}
	for name, c := range map[string]struct {
		sent []string
		want string
	}{
		"distinct":            {[]string{"a", "1", "b", "2"}, "a=1,b=2"},
		"repeated":            {[]string{"k", "first", "x", "", "k", "second"}, "k=first,x="},
		"repeated at once":    {[]string{"k", "first", "k", "second", "k", "third"}, "k=first"},
		"repeated past many":  {append(append([]string{}, many...), "k3", "again"), "k3=3"},
		"repeated first past": {append(append([]string{"k", "1"}, many...), "k", "2"), "k=1"},
	} {
		cc, rest, err := parseCallContext(withMetadata(c.sent...), time.Now())
		if err != nil || string(rest) != "method" {
			t.Fatalf("%s: %q, %v", name, rest, err)
		}
		var got []string
		seen := map[string]bool{}
		for k, v := range (&metadata{raw: string(cc.md)}).all() {
			if seen[k] {
				t.Errorf("%s: %q reaches the handler twice", name, k)
			}
			seen[k] = true
			got = append(got, k+"="+v)
		}
		switch all := strings.Join(got, ","); {
		case len(got) > 3: // many: the key's first value, among the others once each
			if !slices.Contains(got, c.want) || len(got) != len(c.sent)/2-1 {
				t.Errorf("%s: %d pairs; want %s among %d", name, len(got), c.want, len(c.sent)/2-1)
			}
		case all != c.want:
			t.Errorf("%s: %s; want %s", name, all, c.want)
		}
	}
}

// FuzzCallContext: the call-context decoder never panics, never accepts
// metadata it cannot walk, gives the deadline sent, and what it accepts
// encodes back the same.
func FuzzCallContext(f *testing.F) {
	f.Add([]byte{0, 3, 'a', 'd', 'd'})
	f.Add([]byte{1, 0x80, 0x94, 0xeb, 0xdc, 3, 0})
	f.Add([]byte{2, 4, 1, 'k', 1, 'v', 0})
	f.Add([]byte{3, 1, 6, 1, 'k', 3, 'v', 'a', 'l'})
	f.Add([]byte{2, 4, 1, 'k', 9, 'v'})
	f.Fuzz(func(t *testing.T, p []byte) {
		now := time.Unix(1e9, 0)
		cc, rest, err := parseCallContext(p, now)
		if err != nil {
			return
		}
		if len(cc.md) > MaxMetadataSize {
			t.Fatalf("accepted %d bytes of metadata", len(cc.md))
		}
		// A deadline is there exactly when its flag is, as far from now as
		// the nanoseconds sent say: never before now, never wrapped round.
		if hasDL := p[0]&callHasDeadline != 0; cc.deadline.IsZero() == hasDL {
			t.Fatalf("flags %#x gave the deadline %v", p[0], cc.deadline)
		} else if ns, _ := binary.Uvarint(p[1:]); hasDL && cc.deadline.Sub(now) != time.Duration(ns) {
			t.Fatalf("%d ns left gave the deadline %v, from %v", ns, cc.deadline, now)
		}
		// Every byte accepted belongs to a pair: re-encoding the pairs (with
		// minimal lengths) gives pairs that walk the same.
		md := metadata{raw: string(cc.md)}
		var again []byte
		for k, v := range md.all() {
			again = appendPair(again, k, v)
		}
		if len(again) > len(cc.md) {
			t.Fatalf("metadata %q walks as more, %q", cc.md, again)
		}
		keys := map[string]bool{}
		for k := range md.all() {
			if keys[k] {
				t.Fatalf("metadata %q names %q twice", cc.md, k)
			}
			keys[k] = true
		}
		re := metadata{raw: string(again)}
		var a, b []string
		for k, v := range md.all() {
			a = append(a, k, v)
		}
		for k, v := range re.all() {
			b = append(b, k, v)
		}
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("metadata %q: pairs %q, re-encoded %q", cc.md, a, b)
		}
		if consumed := len(p) - len(rest); consumed < 1 {
			t.Fatalf("consumed %d bytes", consumed)
		}
	})
}

// The library's records: a failed authentication is a Warn on both ends
// with the peer's address and no key material; connection churn is Debug.
func TestLoggerRecords(t *testing.T) {
	var srvLog, cliLog lockedBuffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := Host(ctx, sleeperKind, sleeper{}, AuthKey([]byte("right-key-material")),
		Logger(slog.New(slog.NewJSONHandler(&srvLog, debug))))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = Connect(ctx, sleeperKind, r.Address(), []byte("wrong-key-material"),
		Logger(slog.New(slog.NewJSONHandler(&cliLog, debug))))
	if err == nil {
		t.Fatal("Connect with a wrong key succeeded")
	}
	good, err := Connect(ctx, sleeperKind, r.Address(), []byte("right-key-material"),
		Logger(slog.New(slog.NewJSONHandler(&cliLog, debug))))
	if err != nil {
		t.Fatal(err)
	}
	good.Close()
	srvLog.WaitFor(t, `"msg":"uactor: connection closed"`, 5*time.Second) // the actor's side notices the close on its own goroutine
	r.Close()
	for name, want := range map[*lockedBuffer][]string{
		&srvLog: {`"level":"WARN","msg":"uactor: authentication failed","role":"server","peer":"unix client pid ` +
			strconv.Itoa(os.Getpid()) + " of " + strings.TrimPrefix(r.Address(), "unix://"),
			`"level":"DEBUG","msg":"uactor: connection opened","role":"server"`, `"level":"DEBUG","msg":"uactor: connection closed","role":"server"`},
		&cliLog: {`"level":"WARN","msg":"uactor: authentication failed","role":"client","peer":"` + r.Address() + `"`,
			`"level":"DEBUG","msg":"uactor: connection opened","role":"client"`},
	} {
		for _, w := range want {
			if !strings.Contains(name.String(), w) {
				t.Errorf("log lacks %s:\n%s", w, name)
			}
		}
		if strings.Contains(name.String(), "key-material") {
			t.Errorf("log holds key material:\n%s", name)
		}
	}
}

// A log limit lets the first record go, holds back the ones within
// logInterval of the last that went, and has the next that goes tell how
// many it held back.
func TestLogLimitTellsWhatItHeldBack(t *testing.T) {
	var g logLimit
	t0 := time.Unix(1000, 0)
	for i, c := range []struct {
		at      time.Duration
		ok      bool
		dropped int
	}{
		{0, true, 0},
		{1, false, 0},
		{logInterval - 1, false, 0},
		{logInterval, true, 2},
		{logInterval + 1, false, 0},
		{5 * logInterval, true, 1},
		{7 * logInterval, true, 0},
	} {
		if ok, dropped := g.allow(t0.Add(c.at)); ok != c.ok || dropped != c.dropped {
			t.Errorf("record %d at %v: allow = %v, %d; want %v, %d", i, c.at, ok, dropped, c.ok, c.dropped)
		}
	}
}

// The call context's own cost on each end, beside the round trip: what a
// call with no deadline and no metadata pays (a check on each end), and what
// a call with a deadline and one metadata pair pays.
func BenchmarkCallContext(b *testing.B) {
	dl, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	both := WithMetadata(dl, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{{"none", context.Background()}, {"deadline", dl}, {"deadline+metadata", both}} {
		frame := callPrefix("echo")
		if _, ok := c.ctx.Deadline(); ok {
			frame, _ = appendCallContext(nil, c.ctx)
			frame = append(frame, callPrefix("echo")[1:]...)
		}
		b.Run(c.name+"/client", func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := c.ctx.Deadline(); ok || metadataOf(c.ctx) != nil {
					buf, _ = appendCallContext(buf[:0], c.ctx)
				}
			}
		})
		b.Run(c.name+"/server", func(b *testing.B) {
			b.ReportAllocs()
			var cs callCtxs
			for b.Loop() {
				var cc callContext
				if frame[0] != 0 {
					cc, _, _ = parseCallContext(frame, time.Now())
				}
				cs.next(cc).cancel(context.Canceled)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer that a logger or an actor's output may
// write while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitFor polls until l holds want, or fails the test after d.
func (l *lockedBuffer) WaitFor(t *testing.T, want string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); !strings.Contains(l.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("output lacks %q after %v; got:\n%s", want, d, l.String())
		}
	}
}

// capturesKind declares two Capture options, which leave three addresses
// in an array of four (package-level: a kind is defined once).
var capturesKind = Define("options-captures", func(context.Context, Empty) (*int, error) { return new(int), nil },
	Capture("tcp://h1:1", "tcp://h2:2"), Capture("tcp://h3:3"))

// The options a Spawn, Host or Connect derives from its kind's are its
// own: deriving another set from the same kind (a concurrent Connect with
// other captures, say) changes none of them, though Capture appends to
// the kind's slice, which may have room to spare.
func TestOptionsDerivedShareNoCaptures(t *testing.T) {
	a := capturesKind.opts.with([]Option{Capture("tcp://mine:1")})
	want := slices.Clone(a.captures)
	b := capturesKind.opts.with([]Option{Capture("tcp://theirs:2")})
	if !slices.Equal(a.captures, want) {
		t.Fatalf("one Connect's captures became %q when another derived %q; want %q", a.captures, b.captures, want)
	}
}
