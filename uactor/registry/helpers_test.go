package registry_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// worker is the actor the pool tests spread calls over: it counts them.
type worker struct {
	name string
	hits atomic.Int64
	held chan struct{} // if not nil: Hold says here it holds, until its ctx ends or free is closed
	free chan struct{}
}

// Hit counts a call and answers with the worker's name.
func (w *worker) Hit(ctx context.Context, _ uactor.Empty) (string, error) {
	w.hits.Add(1)
	return w.name, nil
}

// Hold answers with the worker's name, as Hit does; a worker with a held
// channel first says on it that a call holds, and holds it until its
// context ends or its free channel is closed.
func (w *worker) Hold(ctx context.Context, _ uactor.Empty) (string, error) {
	if w.held != nil {
		w.held <- struct{}{}
		select {
		case <-ctx.Done():
		case <-w.free:
		}
	}
	return w.name, nil
}

// Count returns how many Hits the worker served.
func (w *worker) Count(ctx context.Context, _ uactor.Empty) (int64, error) { return w.hits.Load(), nil }

// Fail counts a call and fails it the way msg says.
func (w *worker) Fail(ctx context.Context, msg string) (uactor.Empty, error) {
	w.hits.Add(1)
	switch msg {
	case "panic":
		panic("worker panics")
	case "sentinel":
		return uactor.Empty{}, fmt.Errorf("wrapped: %w", errTest)
	case "busy":
		return uactor.Empty{}, errOverloaded
	case "wrong actor":
		return uactor.Empty{}, errMoved
	}
	return uactor.Empty{}, errors.New(msg)
}

var (
	errTest = uactor.RegisterError("registry_test.errTest", errors.New("test sentinel"))
	// An application's sentinels that match uactor's refusals: returned by
	// a handler, they still say the call ran.
	errOverloaded = uactor.RegisterError("registry_test.errOverloaded", fmt.Errorf("overloaded downstream: %w", uactor.ErrBusy))
	errMoved      = uactor.RegisterError("registry_test.errMoved", fmt.Errorf("moved: %w", uactor.ErrWrongActor))

	workerKind = uactor.Define("registry_test.worker", func(ctx context.Context, name string) (*worker, error) {
		return &worker{name: name}, nil
	})
	hit   = uactor.Expose(workerKind, "hit", (*worker).Hit)
	hold  = uactor.Expose(workerKind, "hold", (*worker).Hold)
	count = uactor.Expose(workerKind, "count", (*worker).Count)
	fail  = uactor.Expose(workerKind, "fail", (*worker).Fail)
)

var testKey = []byte("registry test key")

// testCtx bounds a test's time.
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// hostRegistry serves a registry in this process; it stops with the test.
func hostRegistry(t *testing.T, cfg registry.Config) uactor.Ref[*registry.Registry] {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, err := registry.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := uactor.Host(ctx, registry.Kind, r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ref.Close()
		cancel()
	})
	return ref
}

// listener is a stand-in for an actor: something that accepts connections
// (and closes them) at addr, until closed.
type listener struct {
	addr string
	ln   net.Listener
	done chan struct{}
}

// listen starts a listener on loopback TCP, or on a Unix socket in a fresh directory.
func listen(t *testing.T, network string) *listener {
	t.Helper()
	var (
		ln   net.Listener
		addr string
		err  error
	)
	switch network {
	case "tcp":
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err == nil {
			addr = "tcp://" + ln.Addr().String()
		}
	case "unix":
		dir, derr := os.MkdirTemp("", "regtest-")
		if derr != nil {
			t.Fatal(derr)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		p := filepath.Join(dir, "s.sock")
		if ln, err = net.Listen("unix", p); err == nil {
			addr = "unix://" + p
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{addr: addr, ln: ln, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(l.close)
	return l
}

func (l *listener) close() {
	l.ln.Close()
	<-l.done
}

// listeners starts n TCP listeners and returns them with their addresses.
func listeners(t *testing.T, n int) ([]*listener, registry.Addresses) {
	t.Helper()
	var ls []*listener
	var addrs registry.Addresses
	for range n {
		l := listen(t, "tcp")
		ls = append(ls, l)
		addrs = append(addrs, l.addr)
	}
	return ls, addrs
}

// picks picks n times and returns the addresses ("-" for OK false).
func picks(t *testing.T, ctx context.Context, reg uactor.Ref[*registry.Registry], n int) []string {
	t.Helper()
	var out []string
	for range n {
		p, err := registry.Pick.Call(ctx, reg, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if !p.OK {
			if p.Address != "" {
				t.Fatalf("Pick answered OK false with address %q", p.Address)
			}
			out = append(out, "-")
			continue
		}
		out = append(out, p.Address)
	}
	return out
}

func list(t *testing.T, ctx context.Context, reg uactor.Ref[*registry.Registry]) registry.Addresses {
	t.Helper()
	a, err := registry.List.Call(ctx, reg, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// expectList fails t unless List answers want, in order; when says at
// which point of the test.
func expectList(t *testing.T, ctx context.Context, reg uactor.Ref[*registry.Registry], when string, want ...string) {
	t.Helper()
	if got := list(t, ctx, reg); !slices.Equal(got, want) {
		t.Fatalf("List %s = %q, want %q", when, got, want)
	}
}

func register(t *testing.T, ctx context.Context, reg uactor.Ref[*registry.Registry], addrs ...string) int {
	t.Helper()
	n, err := registry.Register.Call(ctx, reg, addrs)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// spawnWorkers spawns n workers named w0…, with testKey; they stop with the test.
func spawnWorkers(t *testing.T, ctx context.Context, n int) []uactor.Ref[*worker] {
	t.Helper()
	refs := make([]uactor.Ref[*worker], n)
	for i := range refs {
		r, err := uactor.Spawn(ctx, workerKind, fmt.Sprintf("w%d", i), uactor.AuthKey(testKey))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		refs[i] = r
	}
	return refs
}

// kill SIGKILLs a spawned actor and waits until its process is reaped (and
// so its listener closed) and its owner's ref knows it: it dies without a
// word, as a crash would. A zombie is not enough: the main thread turns
// zombie while other threads may still hold the process's sockets open. A
// call that races the ref's learning of the death fails with ErrActorDied
// (its outcome unknown), which a pool rightly does not retry.
func kill[A any](t *testing.T, r uactor.Ref[A]) {
	t.Helper()
	pid := r.PID()
	crash(t, r)
	select {
	case <-r.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("the ref to process %d did not learn of its death", pid)
	}
}
