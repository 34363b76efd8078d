package uactor_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func TestSpawnRunsInAnotherProcess(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	pid, err := GetPID.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if pid == os.Getpid() || pid != r.PID() {
		t.Fatalf("actor pid %d, ref pid %d, ours %d", pid, r.PID(), os.Getpid())
	}
	if !strings.HasPrefix(r.Address(), "unix://") {
		t.Fatalf("default address %q is not a Unix socket", r.Address())
	}
}

func TestSpawnArgumentAndState(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r, err := uactor.Spawn(ctx, CounterKind, 40)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if n, err := Add.Call(ctx, r, 2); err != nil || n != 42 {
		t.Fatalf("Add = %d, %v; want 42", n, err)
	}
	h := Add.On(r) // the same call through the location-transparent Handler
	if n, err := h.Handle(ctx, 8); err != nil || n != 50 {
		t.Fatalf("Handle = %d, %v; want 50", n, err)
	}
}

func TestSpawnConstructorError(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	_, err := uactor.Spawn(ctx, CounterKind, -1)
	if err == nil || !strings.Contains(err.Error(), "counter cannot start at -1") {
		t.Fatalf("Spawn error = %v; want the constructor's message", err)
	}
}

func TestSpawnUnknownKind(t *testing.T) {
	t.Setenv("UACTOR_TEST_HIDE_GHOST", "1") // the child will not define "ghost"
	ctx := testCtx(t, 20*time.Second)
	_, err := uactor.Spawn(ctx, GhostKind, uactor.Empty{})
	if err == nil || !strings.Contains(err.Error(), `kind "ghost" is not defined`) {
		t.Fatalf("Spawn error = %v; want a clear unknown-kind error", err)
	}
}

// lateKind is defined on first use, after Main has run, and only once, so
// that the test can run more than once (-count).
var lateKind = sync.OnceValue(func() *uactor.Kind[*Counter, uactor.Empty] {
	return uactor.Define("late-kind", func(ctx context.Context, _ uactor.Empty) (*Counter, error) {
		return &Counter{}, nil
	})
})

func TestSpawnLateKind(t *testing.T) {
	_, err := uactor.Spawn(testCtx(t, 5*time.Second), lateKind(), uactor.Empty{})
	if err == nil || !strings.Contains(err.Error(), "package-level var") {
		t.Fatalf("Spawn of a kind defined after Main = %v; want an explanation", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := Add.Call(ctx, r, 1); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got, _ := Add.Call(ctx, r, 0); got != n {
		t.Fatalf("count = %d; want %d", got, n)
	}
}

// Calls run concurrently in the actor: a blocked call does not hold up another.
func TestCallsRunConcurrently(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel() // so that Close need not wait out the grace period
	done := make(chan error, 1)
	go func() { _, err := Block.Call(bctx, r, 10*time.Second); done <- err }()
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("Block returned early: %v", err)
	default:
	}
}

// A call that blocks while it runs on the goroutine that read it (a lone
// call) does not stop the connection from being read: calls behind it on
// the same connection are served, and its cancel reaches it.
func TestBlockedLoneCallLetsOthersThrough(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := Block.Call(bctx, r, time.Minute); done <- err }()
	for { // until Block has started: Calls is then served behind it
		n, err := Calls.Call(ctx, r, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := Add.Call(ctx, r, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the blocked call, cancelled: %v", err)
	}
	for {
		was, err := WasCancelled.Call(ctx, r, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if was {
			break
		}
		time.Sleep(time.Millisecond)
	}
}

// Large responses are handed over without a copy: each stays the caller's,
// whatever the calls after it receive.
func TestLargeResponsesStayTheCallers(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	var got [][]byte
	for i := range 4 {
		req := bytes.Repeat([]byte{byte('a' + i)}, 1<<20+i)
		resp, err := Echo.Call(ctx, r, req)
		if err != nil || !bytes.Equal(resp, req) {
			t.Fatalf("echo %d: %d bytes, %v", i, len(resp), err)
		}
		got = append(got, resp)
	}
	for i, resp := range got {
		if want := bytes.Repeat([]byte{byte('a' + i)}, 1<<20+i); !bytes.Equal(resp, want) {
			t.Fatalf("response %d changed after later calls", i)
		}
	}
}

func TestHandlerError(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	_, err := Fail.Call(ctx, r, "disk on fire")
	var re *uactor.RemoteError
	if !errors.As(err, &re) || re.Message != "disk on fire" || re.Method != "fail" {
		t.Fatalf("err = %#v; want *RemoteError{fail, disk on fire}", err)
	}
}

func TestRegisteredErrorKeepsIdentity(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	_, err := Add.Call(ctx, r, -5)
	if !errors.Is(err, ErrNegative) || !strings.Contains(err.Error(), "add -5") {
		t.Fatalf("err = %v; want ErrNegative with its message", err)
	}
}

func TestHandlerPanic(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	_, err := Panic.Call(ctx, r, "boom")
	var re *uactor.RemoteError
	if !errors.Is(err, uactor.ErrPanic) || !errors.As(err, &re) || !strings.Contains(re.Message, "boom") {
		t.Fatalf("err = %v; want a recovered panic", err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("after a panic: Add = %d, %v; the actor must keep serving", n, err)
	}
}

func TestCancelReachesHandler(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	_, err := Block.Call(cctx, r, 30*time.Second)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	for {
		ok, err := WasCancelled.Call(ctx, r, uactor.Empty{})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return
		}
		if ctx.Err() != nil {
			t.Fatal("the handler's context was never cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCallDeadline(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := Block.Call(dctx, r, 30*time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want DeadlineExceeded", err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("after a deadline: Add = %d, %v", n, err)
	}
}

func TestCloseReapsAndRefuses(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		t.Fatal(err)
	}
	pid := r.PID()
	r.Close()
	// Close reaps: not even a zombie remains.
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !os.IsNotExist(err) {
		t.Fatalf("process %d still exists after Close (stat err %v)", pid, err)
	}
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrClosed) {
		t.Fatalf("call after Close = %v; want ErrClosed", err)
	}
	if _, err := os.Stat(strings.TrimPrefix(r.Address(), "unix://")); !os.IsNotExist(err) {
		t.Fatalf("socket %s left behind (err %v)", r.Address(), err)
	}
}

// Close lets calls in flight finish within the grace period.
func TestCloseDrainsInFlight(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		ok, err := Block.Call(ctx, r, 300*time.Millisecond)
		if err == nil && !ok {
			err = errors.New("Block was cut short")
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // the call is in flight
	r.Close()
	if err := <-done; err != nil {
		t.Fatalf("in-flight call during Close: %v", err)
	}
}

// After the grace period, Close kills; the call in flight fails, never hangs.
func TestCloseKillsAfterGrace(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.GracePeriod(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Block.Call(ctx, r, time.Minute); done <- err }()
	time.Sleep(100 * time.Millisecond)
	r.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a call cut off by Close returned no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a call in flight hung after Close")
	}
	assertGone(t, r.PID(), time.Second)
}

func TestNestedSpawn(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	r := spawnCounter(t, ctx)
	pid, err := SpawnChild.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if pid == r.PID() || pid == os.Getpid() || processGone(pid) {
		t.Fatalf("grandchild pid %d (child %d, us %d)", pid, r.PID(), os.Getpid())
	}
	r.Close()
	assertGone(t, pid, 2*time.Second) // the tree goes down with its root
}

// SIGKILL of a parent: its actors (and theirs) exit within 2 s.
func TestParentDeathEndsTree(t *testing.T) {
	cmd, child, grandchild := startParent(t)
	if processGone(child) || processGone(grandchild) {
		t.Fatal("actors not running")
	}
	cmd.Process.Kill()
	cmd.Wait()
	assertGone(t, child, 2*time.Second)
	assertGone(t, grandchild, 2*time.Second)
}

func TestHostInProcess(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	c := &Counter{}
	r, err := uactor.Host(ctx, CounterKind, c)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if pid, err := GetPID.Call(ctx, r, uactor.Empty{}); err != nil || pid != os.Getpid() {
		t.Fatalf("hosted getpid = %d, %v", pid, err)
	}
	if _, err := Add.Call(ctx, r, 7); err != nil {
		t.Fatal(err)
	}
	if c.n.Load() != 7 {
		t.Fatalf("hosted value not shared: n = %d", c.n.Load())
	}
}

func TestZeroRefAndZeroMethod(t *testing.T) {
	ctx := testCtx(t, 5*time.Second)
	var r uactor.Ref[*Counter]
	if _, err := Add.Call(ctx, r, 1); err == nil {
		t.Fatal("call on a zero Ref succeeded")
	}
	var m uactor.Method[*Counter, int64, int64]
	if _, err := m.Call(ctx, r, 1); err == nil {
		t.Fatal("call through a zero Method succeeded")
	}
	if r.Close() != nil || r.PID() != 0 || r.Address() != "" {
		t.Fatal("zero Ref methods")
	}
}

// The owner reaches its actor over a connection only the two hold: its calls
// need no dial (and work with the actor's socket gone), while others dial.
func TestOwnerHasPrivateConnection(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	sock := t.TempDir() + "/a.sock"
	r := spawnCounter(t, ctx, uactor.Listen("unix://"+sock), uactor.AuthKey([]byte("k")))
	if err := os.Remove(sock); err != nil {
		t.Fatal(err)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("owner's call with the socket gone: %d, %v", n, err)
	}
	if _, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("k")); err == nil {
		t.Fatal("Connect reached an actor whose socket is gone")
	}
}
