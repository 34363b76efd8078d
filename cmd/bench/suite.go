package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/uactor-go/uactor/internal/rawecho"
	"github.com/uactor-go/uactor/uactor"
)

var (
	payloads = []int{64, 4 << 10, 1 << 20}
	callers  = []int{1, 8, 64, 256}
)

// owningSuffix ends the names of the rows whose floors own what they receive.
const owningSuffix = ", floors own"

// transport is one way of reaching the actor measured.
type transport struct {
	name    string // as the table shows it
	network string // of its floors: "unix" or "tcp"
	opts    []uactor.Option
	connect bool // measure a ref from Connect to the actor's address, not the owner's
	lent    bool // the calls lend their requests (uactor.Lent) and recycle their responses
	owning  bool // the floors own what they receive, as ours does: a new array for each message
}

// The owner's ref (Spawn's) reaches its actor over a private socketpair
// whatever the actor listens on, so the TCP rows measure a ref that another
// process would hold: one from Connect, over TCP.
var transports = []transport{
	{name: "unix", network: "unix"},
	{name: "unix, lent", network: "unix", lent: true},
	{name: "unix" + owningSuffix, network: "unix", owning: true},
	{name: "tcp sealed", network: "tcp", opts: tcpSealed, connect: true},
	{name: "tcp plain", network: "tcp", opts: tcpPlain, connect: true},
	{name: "tcp plain" + owningSuffix, network: "tcp", opts: tcpPlain, connect: true, owning: true},
}

// The options of the actors listening on TCP, sealed and plain.
var (
	tcpSealed = []uactor.Option{uactor.Listen("tcp://127.0.0.1:0")}
	tcpPlain  = []uactor.Option{uactor.Listen("tcp://127.0.0.1:0"), uactor.Sealed(false)}
)

// plainRows reports whether the rows of the transport called name are
// plain ones: neither lent nor beside floors that own.
func plainRows(name string) bool {
	i := slices.IndexFunc(transports, func(t transport) bool { return t.name == name })
	return i >= 0 && !transports[i].lent && !transports[i].owning
}

// PlacementResult is everything measured in one placement.
type PlacementResult struct {
	Placement   string    `json:"placement"`
	CPU         int       `json:"cpu"` // the CPU everything was pinned to; -1 when unpinned
	GOMAXPROCS  int       `json:"gomaxprocs"`
	Skipped     string    `json:"skipped,omitempty"` // why the placement was not measured
	Err         string    `json:"error,omitempty"`   // why it stopped short
	Sequential  []SeqRow  `json:"sequential"`
	Concurrency []ConcRow `json:"concurrency"`
	Spawn       SpawnRow  `json:"spawn"`
}

// SeqRow is one transport and payload, one call in flight, with the
// floors measured beside it (in turns). Both TCP rows have floors of their
// own, over plain TCP: neither raw TCP nor net/rpc seals.
type SeqRow struct {
	Transport string  `json:"transport"`
	Payload   int     `json:"payload_bytes"`
	Ours      Latency `json:"ours"`
	Raw       Latency `json:"raw"`
	RPC       Latency `json:"net_rpc"`
}

// ConcRow is one count of concurrent callers on one connection, 64 B over a Unix socket.
type ConcRow struct {
	Callers int        `json:"callers"`
	Ours    Throughput `json:"ours"`
	Raw     Throughput `json:"raw_mux"`
	RPC     Throughput `json:"net_rpc"`
}

// SpawnRow is the time from starting a process to its first reply.
type SpawnRow struct {
	Ours       Startup `json:"ours"`        // Spawn, then a 64 B call; Close outside the timing
	Raw        Startup `json:"raw"`         // re-exec, then one byte on a pipe, in turns with Ours
	Standby    Startup `json:"standby"`     // Ours with a standby waiting (uactor.Standby)
	StandbyRaw Startup `json:"standby_raw"` // Raw again, in turns with Standby
}

// suite is one placement's run: its children and what it has measured.
type suite struct {
	ctx  context.Context
	d    time.Duration
	p    *progress
	cl   cleanups
	fl   map[string]*floors                // by network
	refs map[string]uactor.Ref[*echoActor] // by transport name
	res  PlacementResult
}

// errInterrupted ends a suite early.
var errInterrupted = errors.New("interrupted")

// runSuite measures everything, in this process and its children, for
// the placement named; progress goes to log. Every child is gone when it
// returns.
func runSuite(ctx context.Context, cfg config, placement string, log io.Writer) PlacementResult {
	s := &suite{ctx: ctx, d: cfg.Duration, p: &progress{w: log, placement: placement},
		res: PlacementResult{Placement: placement, CPU: -1, GOMAXPROCS: runtime.GOMAXPROCS(0)}}
	defer s.cl.run()
	for _, phase := range []func() error{s.setup, s.sequential, s.concurrency, func() error { return s.startup(cfg.Spawns) }} {
		if err := phase(); err != nil {
			s.res.Err = err.Error()
			break
		}
	}
	return s.res
}

// interrupted is errInterrupted once the run is interrupted.
func (s *suite) interrupted() error {
	if s.ctx.Err() != nil {
		return errInterrupted
	}
	return nil
}

// setup starts the floors' children and spawns an actor per transport.
func (s *suite) setup() error {
	dir, err := os.MkdirTemp("", "uactor-bench-")
	if err != nil {
		return fmt.Errorf("a directory for the floors' sockets: %w", err)
	}
	s.cl.add(func() { os.RemoveAll(dir) })
	s.fl = map[string]*floors{}
	for _, network := range []string{"unix", "tcp"} {
		owning := slices.ContainsFunc(transports, func(t transport) bool { return t.owning && t.network == network })
		if s.fl[network], err = startFloors(s.ctx, network, dir, owning, &s.cl); err != nil {
			return err
		}
	}
	s.refs = map[string]uactor.Ref[*echoActor]{}
	key := uactor.NewKey()
	for _, t := range transports {
		ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
		owner, err := uactor.Spawn(ctx, echoKind, uactor.Empty{}, append(t.opts, uactor.AuthKey(key))...)
		if err != nil {
			cancel()
			return fmt.Errorf("spawning the %s actor: %w", t.name, err)
		}
		s.cl.add(func() { owner.Close() })
		ref := owner
		if t.connect {
			if ref, err = uactor.Connect(ctx, echoKind, owner.Address(), key, t.opts...); err != nil {
				cancel()
				return fmt.Errorf("connecting to the %s actor: %w", t.name, err)
			}
			s.cl.add(func() { ref.Close() })
		}
		cancel()
		s.refs[t.name] = ref
	}
	return nil
}

// sequential measures one call in flight, per transport and payload:
// ours, the raw floor and net/rpc over the same network, taking turns.
func (s *suite) sequential() error {
	for _, t := range transports {
		f, ref := s.fl[t.network], s.refs[t.name]
		for _, size := range payloads {
			if err := s.interrupted(); err != nil {
				return err
			}
			req := make([]byte, size)
			rawConn := f.rawConnFor(t.owning)
			ls, _, err := boundedFloors(s.ctx, 3*s.d, f, nil, &s.cl, func(ctx context.Context) []Latency {
				ours, n := oursCall(ctx, ref, req, t.lent), 0
				counted := func() error { n++; return ours() }
				before, err := mallocsMethod.Call(ctx, ref, uactor.Empty{})
				ls := measureLatencies(ctx, s.d, counted, rawecho.Caller(rawConn, size, t.owning), rpcCall(f.rpc, req, t.owning))
				if after, err2 := mallocsMethod.Call(ctx, ref, uactor.Empty{}); err == nil && err2 == nil && n > 0 {
					ls[0].ActorAllocs = float64(after-before) / float64(n)
				}
				return ls
			})
			if err != nil {
				return err
			}
			row := SeqRow{Transport: t.name, Payload: size, Ours: ls[0], Raw: ls[1], RPC: ls[2]}
			s.p.report(t.name, size, "sequential", "ours", row.Ours)
			floors := t.network
			if t.owning {
				floors = t.name // they are not the other rows' floors
			}
			s.p.report(floors, size, "sequential", "raw", row.Raw)
			s.p.report(floors, size, "sequential", "net/rpc", row.RPC)
			s.res.Sequential = append(s.res.Sequential, row)
		}
	}
	return nil
}

// concSize is the payload of the concurrency rows and of the first call after a spawn.
const concSize = 64

// concurrency measures calls/s of N callers sharing one connection, over a Unix socket.
func (s *suite) concurrency() error {
	f, ref := s.fl["unix"], s.refs["unix"]
	req := make([]byte, concSize)
	muxConn, err := f.raw.dial()
	if err != nil {
		return err
	}
	mux, err := newMuxClient(muxConn, callers[len(callers)-1], concSize)
	if err != nil {
		muxConn.Close()
		return err
	}
	s.cl.add(mux.Close)
	s.cl.add(onCancel(s.ctx, mux.Close))
	for _, n := range callers {
		if err := s.interrupted(); err != nil {
			return err
		}
		select {
		case <-mux.done: // a stalled measurement failed it: dial again
			if muxConn, err = f.raw.dial(); err != nil {
				return err
			}
			if mux, err = newMuxClient(muxConn, callers[len(callers)-1], concSize); err != nil {
				muxConn.Close()
				return err
			}
			s.cl.add(mux.Close)
			s.cl.add(onCancel(s.ctx, mux.Close))
		default:
		}
		what := plural(n, "caller")
		ts, stalled, err := boundedFloors(s.ctx, 3*s.d, f, []net.Conn{muxConn}, &s.cl, func(ctx context.Context) []Throughput {
			return measureThroughputs(ctx, s.d, n,
				func(int) func() error { return oursCall(ctx, ref, req, false) },
				func(i int) func() error { return func() error { return mux.call(i) } },
				func(int) func() error { return rpcCall(f.rpc, req, false) })
		})
		if err != nil {
			return err
		}
		if stalled { // the floors were dialed again: so is the mux, next
			mux.Close()
		}
		row := ConcRow{Callers: n, Ours: ts[0], Raw: ts[1], RPC: ts[2]}
		s.p.report("unix", concSize, what, "ours", row.Ours)
		s.p.report("unix", concSize, what, "raw mux", row.Raw)
		s.p.report("unix", concSize, what, "net/rpc", row.RPC)
		s.res.Concurrency = append(s.res.Concurrency, row)
	}
	return nil
}

// startup measures n spawns to a first reply, and n bare re-execs to a first byte.
func (s *suite) startup(n int) error {
	if err := s.interrupted(); err != nil {
		return err
	}
	req := make([]byte, concSize)
	what := fmt.Sprintf("spawn→first reply ×%d", n)
	st := measureStartups(s.ctx, n, func() (time.Duration, error) { return oursFirstReply(s.ctx, req) }, rawFirstByte)
	s.p.report("unix", concSize, what, "ours", st[0])
	s.p.report("pipe", 1, what, "raw", st[1])
	if err := s.interrupted(); err != nil {
		return err
	}
	// In turns of their own: what a standby's start and end leave behind
	// (a CPU idle meanwhile, say) must not fall on the row above.
	sb := measureStartups(s.ctx, n, func() (time.Duration, error) { return standbyFirstReply(s.ctx, req) }, rawFirstByte)
	s.p.report("unix", concSize, what, "ours, standby", sb[0])
	s.p.report("pipe", 1, what, "raw", sb[1])
	s.res.Spawn = SpawnRow{Ours: st[0], Raw: st[1], Standby: sb[0], StandbyRaw: sb[1]}
	return s.interrupted()
}
