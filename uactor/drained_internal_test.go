package uactor

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// drainer's Hold runs for a while; Running says how many Holds have begun.
type drainer struct{ running atomic.Int32 }

func (d *drainer) Hold(_ context.Context, dur time.Duration) (Empty, error) {
	d.running.Add(1)
	time.Sleep(dur) // not its context: a graceful stop lets it finish
	return Empty{}, nil
}

func (d *drainer) Running(context.Context, Empty) (int32, error) { return d.running.Load(), nil }

var (
	drainerKind    = Define("drained-test", func(context.Context, Empty) (*drainer, error) { return &drainer{}, nil })
	drainerHold    = Expose(drainerKind, "hold", (*drainer).Hold)
	drainerRunning = Expose(drainerKind, "running", (*drainer).Running)
)

// heldConn, once armed, keeps what each read got from the caller until it
// is let go (or closed): the caller reads the actor's last answer only then.
type heldConn struct {
	net.Conn
	armed atomic.Bool
	gone  chan struct{}
	once  sync.Once
}

func (h *heldConn) Read(p []byte) (int, error) {
	n, err := h.Conn.Read(p)
	if h.armed.Load() {
		<-h.gone
	}
	return n, err
}

func (h *heldConn) letGo() { h.once.Do(func() { close(h.gone) }) }

func (h *heldConn) Close() error {
	h.letGo()
	return h.Conn.Close()
}

// The answer a gracefully stopping process wrote last reaches its caller,
// even when the caller reads it only after the supervisor has reaped the
// process: the owner's connection is closed under the call only once the
// call is over. The test holds the caller's read back until the supervisor
// waits for the connection to drain (or, without that wait, until it
// closes the connection).
func TestDrainedLastAnswerReachesCallerReadLate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	var conns []*heldConn
	var mu sync.Mutex
	wrap := func(nc net.Conn) net.Conn {
		h := &heldConn{Conn: nc, gone: make(chan struct{})}
		mu.Lock()
		conns = append(conns, h)
		mu.Unlock()
		return h
	}
	drain := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, h := range conns {
			h.letGo()
		}
	}
	testHookOwnerConn.Store(&wrap)
	testHookDrain.Store(&drain)
	t.Cleanup(func() {
		testHookOwnerConn.Store(nil)
		testHookDrain.Store(nil)
	})

	r, err := Spawn(ctx, drainerKind, Empty{}, GracePeriod(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	res := make(chan error, 1)
	go func() {
		_, err := drainerHold.Call(ctx, r, time.Second)
		res <- err
	}()
	for n := int32(0); n == 0; {
		if n, err = drainerRunning.Call(ctx, r, Empty{}); err != nil {
			t.Fatalf("Running: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	for _, h := range conns {
		h.armed.Store(true)
	}
	mu.Unlock()
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("the call in flight at Close, answered within its grace period: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the call in flight at Close never returned")
	}
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close never returned")
	}
}
