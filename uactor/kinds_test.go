package uactor_test

// The actor kinds that tests in several files spawn, host and call.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Counter is the test suite's workhorse actor.
type Counter struct {
	n         atomic.Int64
	calls     atomic.Int64 // every handler run, to prove that refused peers ran none
	cancelled atomic.Bool
	mu        sync.Mutex
	children  []uactor.Ref[*Counter]
	shared    uactor.Ref[*Counter]
	release   chan struct{} // a hosted counter's test ends Block calls by closing it
}

var ErrNegative = uactor.RegisterError("uactor_test.Negative", errors.New("negative amount"))

func (c *Counter) Add(ctx context.Context, d int64) (int64, error) {
	c.calls.Add(1)
	if d < 0 {
		return 0, fmt.Errorf("add %d: %w", d, ErrNegative)
	}
	return c.n.Add(d), nil
}

func (c *Counter) Calls(ctx context.Context, _ uactor.Empty) (int64, error) {
	return c.calls.Load(), nil
}

func (c *Counter) GetPID(ctx context.Context, _ uactor.Empty) (int, error) {
	c.calls.Add(1)
	return os.Getpid(), nil
}

func (c *Counter) Echo(ctx context.Context, b []byte) ([]byte, error) { return b, nil }

// Fill answers with n zero bytes: a small request for a large response.
func (c *Counter) Fill(ctx context.Context, n int) ([]byte, error) { return make([]byte, n), nil }

// EchoLent returns its lent request, which the library sends before it
// reuses the request's array.
func (c *Counter) EchoLent(ctx context.Context, b uactor.Lent) ([]byte, error) { return b, nil }

// Procs reports the actor process's GOMAXPROCS.
func (c *Counter) Procs(ctx context.Context, _ uactor.Empty) (int, error) {
	return runtime.GOMAXPROCS(0), nil
}

func (c *Counter) Fail(ctx context.Context, msg string) (uactor.Empty, error) {
	c.calls.Add(1)
	return uactor.Empty{}, errors.New(msg)
}

// FailNil returns a nil *nilError as its error: an error that is not nil,
// whose Error method panics.
func (c *Counter) FailNil(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	var err *nilError
	return uactor.Empty{}, err
}

// nilError's Error reads a field, so a nil *nilError panics when asked.
type nilError struct{ msg string }

func (e *nilError) Error() string { return e.msg }

// FailLong fails with ErrNegative and a message of n bytes.
func (c *Counter) FailLong(ctx context.Context, n int) (uactor.Empty, error) {
	return uactor.Empty{}, fmt.Errorf("%s: %w", strings.Repeat("é", n/2), ErrNegative)
}

func (c *Counter) Panic(ctx context.Context, msg string) (uactor.Empty, error) {
	c.calls.Add(1)
	panic(msg)
}

// Goexit ends its goroutine as t.FailNow does, after waiting d: a wait
// past the inline watchdog's tick moves the read role to a worker, and
// marks the method as one that blocks, so that its next calls run on
// workers.
func (c *Counter) Goexit(ctx context.Context, d time.Duration) (uactor.Empty, error) {
	c.calls.Add(1)
	time.Sleep(d)
	runtime.Goexit()
	return uactor.Empty{}, nil
}

// Block waits for its context to end (recording that it did) or for d.
func (c *Counter) Block(ctx context.Context, d time.Duration) (bool, error) {
	c.calls.Add(1)
	select {
	case <-ctx.Done():
		c.cancelled.Store(true)
		return false, ctx.Err()
	case <-time.After(d):
		return true, nil
	case <-c.release:
		return true, nil
	}
}

// Await waits for the test to close release, or for its call's end; its
// request is ballast, for tests of what an actor holds.
func (c *Counter) Await(ctx context.Context, ballast []byte) (int, error) {
	c.calls.Add(1)
	select {
	case <-ctx.Done():
		c.cancelled.Store(true)
		return 0, ctx.Err()
	case <-c.release:
		return len(ballast), nil
	}
}

func (c *Counter) WasCancelled(ctx context.Context, _ uactor.Empty) (bool, error) {
	return c.cancelled.Load(), nil
}

// SpawnChild spawns a counter of its own (a nested spawn) and returns its pid.
func (c *Counter) SpawnChild(ctx context.Context, _ uactor.Empty) (int, error) {
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.children = append(c.children, r)
	c.mu.Unlock()
	return GetPID.Call(ctx, r, uactor.Empty{})
}

// PrintChildren has each counter this one spawned (SpawnChild) print n
// lines, and returns how many they printed in all.
func (c *Counter) PrintChildren(ctx context.Context, n int) (int, error) {
	c.mu.Lock()
	kids := c.children[:len(c.children):len(c.children)]
	c.mu.Unlock()
	total := 0
	for _, k := range kids {
		m, err := Print.Call(ctx, k, n)
		if err != nil {
			return total, err
		}
		total += m
	}
	return total, nil
}

// Exit ends the actor's process at once, with code.
func (c *Counter) Exit(ctx context.Context, code int) (uactor.Empty, error) {
	os.Exit(code)
	return uactor.Empty{}, nil
}

// Print writes n numbered lines to stdout, alternating with stderr.
func (c *Counter) Print(ctx context.Context, n int) (int, error) {
	for i := range n {
		f := os.Stdout
		if i%2 == 1 {
			f = os.Stderr
		}
		fmt.Fprintf(f, "line %d of %d %s\n", i, n, strings.Repeat("x", 64))
	}
	return n, nil
}

// Crash writes a line with no newline, then panics outside any handler,
// which ends the process with a trace on stderr.
func (c *Counter) Crash(ctx context.Context, msg string) (uactor.Empty, error) {
	os.Stdout.WriteString("cut short by the crash")
	go panic(msg)
	time.Sleep(time.Minute)
	return uactor.Empty{}, nil
}

// AddVia calls Add on another counter, whose ref came in the request: an
// actor calling an actor it was handed.
func (c *Counter) AddVia(ctx context.Context, other uactor.Ref[*Counter]) (int64, error) {
	return Add.Call(ctx, other, 1)
}

// Shared hosts one Counter inside this actor's process (made on first use)
// and returns a ref to it: uActor's result proxies.
func (c *Counter) Shared(ctx context.Context, _ uactor.Empty) (uactor.Ref[*Counter], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shared.PID() == 0 {
		r, err := uactor.Host(ctx, CounterKind, &Counter{})
		if err != nil {
			return r, err
		}
		c.shared = r
	}
	return c.shared, nil
}

// HostAt hosts a new counter listening on a Unix socket at path, kept
// until the process ends.
func (c *Counter) HostAt(ctx context.Context, path string) (uactor.Ref[*Counter], error) {
	r, err := uactor.Host(ctx, CounterKind, &Counter{}, uactor.Listen("unix://"+path))
	if err == nil {
		c.mu.Lock()
		c.children = append(c.children, r)
		c.mu.Unlock()
	}
	return r, err
}

var (
	CounterKind = uactor.Define("counter", func(ctx context.Context, start int64) (*Counter, error) {
		if start == -2 {
			panic("a counter at -2")
		}
		if start == -3 {
			var err *nilError
			return nil, err
		}
		if start < 0 {
			return nil, fmt.Errorf("counter cannot start at %d", start)
		}
		c := &Counter{}
		c.n.Store(start)
		return c, nil
	})
	Add          = uactor.Expose(CounterKind, "add", (*Counter).Add)
	Calls        = uactor.Expose(CounterKind, "calls", (*Counter).Calls)
	GetPID       = uactor.Expose(CounterKind, "getpid", (*Counter).GetPID)
	Echo         = uactor.Expose(CounterKind, "echo", (*Counter).Echo)
	EchoLent     = uactor.Expose(CounterKind, "echolent", (*Counter).EchoLent)
	Fill         = uactor.Expose(CounterKind, "fill", (*Counter).Fill)
	Procs        = uactor.Expose(CounterKind, "procs", (*Counter).Procs)
	Fail         = uactor.Expose(CounterKind, "fail", (*Counter).Fail)
	FailNil      = uactor.Expose(CounterKind, "failnil", (*Counter).FailNil)
	FailLong     = uactor.Expose(CounterKind, "failLong", (*Counter).FailLong)
	Panic        = uactor.Expose(CounterKind, "panic", (*Counter).Panic)
	Goexit       = uactor.Expose(CounterKind, "goexit", (*Counter).Goexit)
	Block        = uactor.Expose(CounterKind, "block", (*Counter).Block)
	Await        = uactor.Expose(CounterKind, "await", (*Counter).Await)
	WasCancelled = uactor.Expose(CounterKind, "wascancelled", (*Counter).WasCancelled)
	SpawnChild   = uactor.Expose(CounterKind, "spawnchild", (*Counter).SpawnChild)
	Exit         = uactor.Expose(CounterKind, "exit", (*Counter).Exit)
	Print        = uactor.Expose(CounterKind, "print", (*Counter).Print)
	PrintKids    = uactor.Expose(CounterKind, "printchildren", (*Counter).PrintChildren)
	Crash        = uactor.Expose(CounterKind, "crash", (*Counter).Crash)
	AddVia       = uactor.Expose(CounterKind, "addvia", (*Counter).AddVia)
	Shared       = uactor.Expose(CounterKind, "shared", (*Counter).Shared)
	HostAt       = uactor.Expose(CounterKind, "hostat", (*Counter).HostAt)
)

// Slow is an actor whose constructor takes the time it is given: its
// restart leaves its address without a listener for that long.
type Slow struct{}

func (Slow) PID(context.Context, uactor.Empty) (int, error) { return os.Getpid(), nil }

// PIDOf calls r from this process: the first call through a copy of r.
func (Slow) PIDOf(ctx context.Context, r uactor.Ref[Slow]) (int, error) {
	return SlowPID.Call(ctx, r, uactor.Empty{})
}

var (
	SlowKind = uactor.Define("slow", func(ctx context.Context, d time.Duration) (Slow, error) {
		select {
		case <-time.After(d):
			return Slow{}, nil
		case <-ctx.Done():
			return Slow{}, ctx.Err()
		}
	})
	SlowPID   = uactor.Expose(SlowKind, "pid", Slow.PID)
	SlowPIDOf = uactor.Expose(SlowKind, "pidof", Slow.PIDOf)
)

// ghostName is "ghost" in the test process, and something else in a child
// started while UACTOR_TEST_HIDE_GHOST is set: a kind the child does not know.
var ghostName = func() string {
	if os.Getenv("UACTOR_TEST_HIDE_GHOST") != "" {
		return "ghost-hidden"
	}
	return "ghost"
}()

var GhostKind = uactor.Define(ghostName, func(ctx context.Context, _ uactor.Empty) (*Counter, error) {
	return &Counter{}, nil
})

// MyActor is uActor's: made with a MyOtherActor of its own, listening on
// TCP at the address given, under a key only MyActor's process holds.
type MyActor struct{ other uactor.Ref[*Counter] }

func (a *MyActor) MyOtherActor(ctx context.Context, _ uactor.Empty) (uactor.Ref[*Counter], error) {
	return a.other, nil
}

var (
	MyActorKind = uactor.Define("myactor", func(ctx context.Context, listen string) (*MyActor, error) {
		other, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Listen(listen), uactor.AuthKey([]byte("OtherSecret")))
		return &MyActor{other: other}, err
	})
	MyOtherActor  = uactor.Expose(MyActorKind, "my_other_actor", (*MyActor).MyOtherActor)
	OtherRefBytes = uactor.Expose(MyActorKind, "other_ref_bytes", (*MyActor).OtherRefBytes)
)

// OtherRefBytes returns the binary form of MyOtherActor's ref as this
// actor's process writes it, for tests that decode it later.
func (a *MyActor) OtherRefBytes(ctx context.Context, _ uactor.Empty) ([]byte, error) {
	return a.other.AppendBinary(nil)
}

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

// Wait signals started and waits for its context to end.
func (p *Probe) Wait(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	p.started <- struct{}{}
	<-ctx.Done()
	return uactor.Empty{}, ctx.Err()
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
	ProbeWait     = uactor.Expose(ProbeKind, "wait", (*Probe).Wait)

	// A kind whose declaration carries options that must reach both ends:
	// a server interceptor (which runs in the spawned process because the
	// declaration runs there too) and a default call timeout.
	GuardedKind = uactor.Define("guarded", newProbe,
		uactor.ServerInterceptors(requireTicket), uactor.CallTimeout(300*time.Millisecond))
	GuardedPing  = uactor.Expose(GuardedKind, "ping", (*Probe).Ping)
	GuardedSleep = uactor.Expose(GuardedKind, "sleep", (*Probe).Sleep)
)

// probeKey is the key of the actors that tests Connect to.
var probeKey = []byte("probe key")
