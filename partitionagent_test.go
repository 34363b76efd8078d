package uactor_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// The agent of the partition tests (partition_linux_test.go): the test
// binary run again in a simulated host with partitionAgentEnv set, where
// TestMain hands over to runPartitionAgent. It reads commands on stdin, one
// a line, "<tag> <command> <args…>", runs each in a goroutine of its own
// (so that a call can be in flight while the test cuts the link) and
// prints "<tag> <result>" once it is done. What its hosted actors see
// comes out as "event <what>" lines, their library's records among them.

const partitionAgentEnv = "UACTOR_TEST_PARTITION_AGENT"

var partitionKey = []byte("partition test key")

// quiet is the agents' refs' logger: one value, since refs with different
// loggers do not share a connection.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// counter counts its incr calls; hold waits for its context to end.
type counter struct {
	n      atomic.Int64
	events func(string)
}

func (c *counter) Incr(ctx context.Context, _ uactor.Empty) (int64, error) { return c.n.Add(1), nil }

func (c *counter) PID(ctx context.Context, _ uactor.Empty) (int64, error) {
	return int64(os.Getpid()), nil
}

func (c *counter) Hold(ctx context.Context, _ uactor.Empty) (int64, error) {
	c.events("hold-start")
	<-ctx.Done()
	c.events("hold-end " + strings.ReplaceAll(ctx.Err().Error(), " ", "-"))
	return 0, ctx.Err()
}

// HoldBytes holds its request until its context ends.
func (c *counter) HoldBytes(ctx context.Context, b []byte) (int64, error) {
	c.events("holdbytes-start")
	<-ctx.Done()
	c.events("holdbytes-end " + strings.ReplaceAll(ctx.Err().Error(), " ", "-"))
	return 0, ctx.Err()
}

// Blob returns n bytes.
func (c *counter) Blob(ctx context.Context, n int64) ([]byte, error) { return make([]byte, n), nil }

// Size returns how many bytes it was sent.
func (c *counter) Size(ctx context.Context, b []byte) (int64, error) { return int64(len(b)), nil }

var (
	counterKind = uactor.Define("uactor_test.partition", func(ctx context.Context, _ uactor.Empty) (*counter, error) {
		return &counter{}, nil
	})
	counterMethods = map[string]uactor.Method[*counter, uactor.Empty, int64]{
		"incr": uactor.Expose(counterKind, "incr", (*counter).Incr),
		"pid":  uactor.Expose(counterKind, "pid", (*counter).PID),
		"hold": uactor.Expose(counterKind, "hold", (*counter).Hold),
	}
	counterSize      = uactor.Expose(counterKind, "size", (*counter).Size)
	counterBlob      = uactor.Expose(counterKind, "blob", (*counter).Blob)
	counterHoldBytes = uactor.Expose(counterKind, "holdbytes", (*counter).HoldBytes)
)

// agent is one agent process's state.
type agent struct {
	out    sync.Mutex
	mu     sync.Mutex
	refs   map[string]uactor.Ref[*counter]
	regs   map[string]uactor.Ref[*registry.Registry]
	pools  map[string]*registry.ConnectedPool[uactor.Empty, int64]
	hosted []uactor.Ref[*counter]
}

func (a *agent) println(s string) {
	a.out.Lock()
	defer a.out.Unlock()
	fmt.Println(s)
}

// eventWriter prints each record a logger writes as an event line.
type eventWriter struct{ a *agent }

func (w eventWriter) Write(b []byte) (int, error) {
	for l := range strings.SplitSeq(strings.TrimRight(string(b), "\n"), "\n") {
		w.a.println("event log " + l)
	}
	return len(b), nil
}

func runPartitionAgent() int {
	a := &agent{refs: map[string]uactor.Ref[*counter]{}, regs: map[string]uactor.Ref[*registry.Registry]{},
		pools: map[string]*registry.ConnectedPool[uactor.Empty, int64]{}}
	var wg sync.WaitGroup
	s := bufio.NewScanner(os.Stdin)
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 {
			continue
		}
		wg.Go(func() { a.println(f[0] + " " + a.run(f[1], f[2:])) })
	}
	wg.Wait()
	for _, r := range a.refs {
		r.Close()
	}
	for _, p := range a.pools {
		p.Close()
	}
	return 0
}

// run runs one command, and returns its result line.
func (a *agent) run(cmd string, args []string) string {
	ctx := context.Background()
	dur := func(i int) time.Duration {
		d, _ := time.ParseDuration(args[i])
		return d
	}
	switch cmd {
	case "host": // <listen> <keepalive> <max connections> [grace period [ConnBuffer]]: a counter, hosted here
		c := &counter{events: func(s string) { a.println("event " + s) }}
		n, _ := strconv.Atoi(args[2])
		log := slog.New(slog.NewTextHandler(eventWriter{a}, &slog.HandlerOptions{Level: slog.LevelInfo}))
		opts := []uactor.Option{uactor.Listen(args[0]), uactor.AuthKey(partitionKey),
			uactor.Keepalive(dur(1)), uactor.MaxConnections(n), uactor.Logger(log)}
		if len(args) > 3 {
			opts = append(opts, uactor.GracePeriod(dur(3)))
		}
		if len(args) > 4 {
			n, _ := strconv.Atoi(args[4])
			opts = append(opts, uactor.ConnBuffer(n))
		}
		ref, err := uactor.Host(ctx, counterKind, c, opts...)
		if err != nil {
			return "err " + err.Error()
		}
		a.mu.Lock()
		a.hosted = append(a.hosted, ref)
		a.mu.Unlock()
		return "ok " + ref.Address()
	case "unhost": // closes what this agent hosts, and says how long that took
		a.mu.Lock()
		hosted := a.hosted
		a.hosted = nil
		a.mu.Unlock()
		start := time.Now()
		for _, r := range hosted {
			r.Close()
		}
		return "ok " + time.Since(start).Round(time.Millisecond).String()
	case "connect": // <name> <address> <keepalive>
		ref, err := uactor.Connect(ctx, counterKind, args[1], partitionKey, uactor.Keepalive(dur(2)),
			uactor.DialTimeout(2*time.Second), uactor.Logger(quiet))
		if err != nil {
			return "err " + err.Error()
		}
		a.mu.Lock()
		a.refs[args[0]] = ref
		a.mu.Unlock()
		return "ok"
	case "call": // <name> <method> <timeout, 0 for none> ["done"]
		a.mu.Lock()
		ref := a.refs[args[0]]
		a.mu.Unlock()
		if d := dur(2); d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		start := time.Now()
		v, err := counterMethods[args[1]].Call(ctx, ref, uactor.Empty{})
		if err != nil {
			gone := ""
			if len(args) > 3 && args[3] == "done" { // and whether Done was closed by the time the call returned
				select {
				case <-ref.Done():
					gone = " (gone)"
				default:
					gone = " (open)"
				}
			}
			return "err " + describe(err, time.Since(start)) + gone
		}
		return "ok " + strconv.FormatInt(v, 10)
	case "big": // <name> <bytes> <timeout, 0 for none>: a call with that much to send
		a.mu.Lock()
		ref := a.refs[args[0]]
		a.mu.Unlock()
		n, _ := strconv.Atoi(args[1])
		if d := dur(2); d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		start := time.Now()
		v, err := counterSize.Call(ctx, ref, make([]byte, n))
		if err != nil {
			return "err " + describe(err, time.Since(start))
		}
		return "ok " + strconv.FormatInt(v, 10)
	case "holdbytes": // <name> <bytes>: a call that holds that much in the actor until it ends
		a.mu.Lock()
		ref := a.refs[args[0]]
		a.mu.Unlock()
		n, _ := strconv.Atoi(args[1])
		start := time.Now()
		_, err := counterHoldBytes.Call(ctx, ref, make([]byte, n))
		return "err " + describe(err, time.Since(start))
	case "blob": // <name> <bytes>: a call with that much to receive
		a.mu.Lock()
		ref := a.refs[args[0]]
		a.mu.Unlock()
		n, _ := strconv.ParseInt(args[1], 10, 64)
		start := time.Now()
		b, err := counterBlob.Call(ctx, ref, n)
		if err != nil {
			return "err " + describe(err, time.Since(start))
		}
		return "ok " + strconv.Itoa(len(b))
	case "pool": // <name> <registry address> <refresh every> <keepalive>: a pool of pid over what it lists
		p, err := registry.PoolFrom(ctx, registry.At(args[1], partitionKey), dur(2), counterKind, partitionKey,
			counterMethods["pid"], uactor.Keepalive(dur(3)), uactor.DialTimeout(2*time.Second), uactor.Logger(quiet))
		if err != nil {
			return "err " + err.Error()
		}
		a.mu.Lock()
		a.pools[args[0]] = p
		a.mu.Unlock()
		return "ok " + strings.Join(p.Addresses(), " ")
	case "poolcall": // <name> <timeout, 0 for none>: pid through the pool
		a.mu.Lock()
		p := a.pools[args[0]]
		a.mu.Unlock()
		if d := dur(1); d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		start := time.Now()
		v, err := p.Handle(ctx, uactor.Empty{})
		if err != nil {
			return "err " + describe(err, time.Since(start))
		}
		return "ok " + strconv.FormatInt(v, 10)
	case "done": // <name>: whether the ref's actor is gone for good, and why
		a.mu.Lock()
		ref := a.refs[args[0]]
		a.mu.Unlock()
		select {
		case <-ref.Done():
			return "gone " + describe(ref.Err(), 0)
		default:
			return "open"
		}
	case "close": // <name>
		a.mu.Lock()
		ref := a.refs[args[0]]
		delete(a.refs, args[0])
		a.mu.Unlock()
		ref.Close()
		return "ok"
	case "goroutines": // <at most>, or "settled": waits up to 10 s for the count to fall to it, or to hold still
		n := runtime.NumGoroutine()
		if args[0] == "settled" {
			for end, still := time.Now().Add(10*time.Second), 0; still < 10 && time.Now().Before(end); still++ {
				time.Sleep(20 * time.Millisecond)
				if m := runtime.NumGoroutine(); m != n {
					n, still = m, 0
				}
			}
			return strconv.Itoa(n)
		}
		most, _ := strconv.Atoi(args[0])
		for end := time.Now().Add(10 * time.Second); n > most && time.Now().Before(end); n = runtime.NumGoroutine() {
			time.Sleep(20 * time.Millisecond)
		}
		return strconv.Itoa(n)
	case "registry": // <listen> <probe interval> <dial timeout>: a registry, hosted here
		r, err := registry.New(ctx, registry.Config{ProbeInterval: dur(1), DialTimeout: dur(2)})
		if err != nil {
			return "err " + err.Error()
		}
		ref, err := uactor.Host(ctx, registry.Kind, r, uactor.Listen(args[0]), uactor.AuthKey(partitionKey))
		if err != nil {
			return "err " + err.Error()
		}
		return "ok " + ref.Address()
	case "register", "pick", "list": // <registry address> [addresses to register | picks to make]
		reg, err := a.registry(ctx, args[0])
		if err != nil {
			return "err " + err.Error()
		}
		switch cmd {
		case "register":
			_, err = registry.Register.Call(ctx, reg, registry.Addresses(args[1:]))
			if err != nil {
				return "err " + err.Error()
			}
			return "ok"
		case "list":
			l, err := registry.List.Call(ctx, reg, uactor.Empty{})
			if err != nil {
				return "err " + err.Error()
			}
			return "ok " + strings.Join(l, " ")
		}
		n, _ := strconv.Atoi(args[1])
		var picked []string
		for range n {
			p, err := registry.Pick.Call(ctx, reg, uactor.Empty{})
			if err != nil {
				return "err " + err.Error()
			}
			if !p.OK {
				p.Address = "none"
			}
			picked = append(picked, p.Address)
		}
		return "ok " + strings.Join(picked, " ")
	}
	return "err unknown command " + cmd
}

// registry returns this agent's ref to the registry at addr, connecting once.
func (a *agent) registry(ctx context.Context, addr string) (uactor.Ref[*registry.Registry], error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.regs[addr]; ok {
		return r, nil
	}
	r, err := uactor.Connect(ctx, registry.Kind, addr, partitionKey)
	if err == nil {
		a.regs[addr] = r
	}
	return r, err
}

// describe is an error as the test reads it: which sentinels it matches,
// after how long, and its message.
func describe(err error, took time.Duration) string {
	return fmt.Sprintf("deadline=%t died=%t wrong=%t closed=%t took=%v msg=%s",
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, uactor.ErrActorDied),
		errors.Is(err, uactor.ErrWrongActor), errors.Is(err, uactor.ErrClosed),
		took.Round(time.Millisecond), strings.ReplaceAll(err.Error(), "\n", " "))
}
