package uactor_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/uactor"
)

// testCtx bounds a test's own time, and checks that the test leaves no
// goroutine behind (its cleanups, registered later, run before that check).
func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	checkGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// spawn spawns an actor of kind k that the test closes (and reaps) when it ends.
func spawn[A, Arg any](t *testing.T, ctx context.Context, k *uactor.Kind[A, Arg], arg Arg, opts ...uactor.Option) uactor.Ref[A] {
	t.Helper()
	r, err := uactor.Spawn(ctx, k, arg, opts...)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	t.Cleanup(func() {
		r.Close()
		assertGone(t, r.PID(), time.Second)
	})
	return r
}

// host hosts a in this process as an actor of kind k, closed when the test ends.
func host[A, Arg any](t *testing.T, ctx context.Context, k *uactor.Kind[A, Arg], a A, opts ...uactor.Option) uactor.Ref[A] {
	t.Helper()
	r, err := uactor.Host(ctx, k, a, opts...)
	if err != nil {
		t.Fatalf("Host: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// spawnFails spawns, expecting Spawn to fail, and returns its error. An
// actor that starts anyway is closed and reaped, so that the test fails
// without leaving it running.
func spawnFails[A, Arg any](t *testing.T, ctx context.Context, k *uactor.Kind[A, Arg], arg Arg, opts ...uactor.Option) error {
	t.Helper()
	r, err := uactor.Spawn(ctx, k, arg, opts...)
	if err == nil {
		r.Close()
		assertGone(t, r.PID(), time.Second)
	}
	return err
}

// spawnCounter spawns a counter that the test stops (and reaps) when it ends.
func spawnCounter(t *testing.T, ctx context.Context, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	return spawn(t, ctx, CounterKind, 0, opts...)
}

// keyedCounter spawns a counter with a known key, reachable by Connect.
func keyedCounter(t *testing.T, key string, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	return spawnCounter(t, testCtx(t, 20*time.Second), append(opts, uactor.AuthKey([]byte(key)))...)
}

// tcpCounter spawns a counter listening where listen says, with the key "SECRET".
func tcpCounter(t *testing.T, listen string, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	return keyedCounter(t, "SECRET", append([]uactor.Option{uactor.Listen(listen)}, opts...)...)
}

// connectTo connects to the actor of kind k at address with key, and
// closes the connected ref when the test ends.
func connectTo[A, Arg any](t *testing.T, ctx context.Context, k *uactor.Kind[A, Arg], address string, key []byte, opts ...uactor.Option) uactor.Ref[A] {
	t.Helper()
	r, err := uactor.Connect(ctx, k, address, key, opts...)
	if err != nil {
		t.Fatalf("Connect(%s): %v", address, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// connect is connectTo for a counter.
func connect(t *testing.T, ctx context.Context, address, key string, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	return connectTo(t, ctx, CounterKind, address, []byte(key), opts...)
}

// hostTCP hosts a counter on loopback TCP with key, returning it and its
// host:port.
func hostTCP(t *testing.T, ctx context.Context, key []byte) (uactor.Ref[*Counter], string) {
	t.Helper()
	r := host(t, ctx, CounterKind, &Counter{}, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey(key))
	return r, strings.TrimPrefix(r.Address(), "tcp://")
}

// connectAndCall is what a key holder does: Connect (with opts), one call,
// Close, within 5 s.
func connectAndCall(ctx context.Context, address string, key []byte, opts ...uactor.Option) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	remote, err := uactor.Connect(ctx, CounterKind, address, key, opts...)
	if err != nil {
		return err
	}
	defer remote.Close()
	_, err = Add.Call(ctx, remote, 1)
	return err
}

// calls returns how many counted handlers have run on the counter r.
func calls(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) int64 {
	t.Helper()
	n, err := Calls.Call(ctx, r, uactor.Empty{})
	if err != nil {
		t.Fatalf("calls: %v", err)
	}
	return n
}

// expectUntouched fails the test unless no counted handler has run on the
// counter r, which must still serve: an Add of 1 makes it 1.
func expectUntouched(t *testing.T, ctx context.Context, r uactor.Ref[*Counter]) {
	t.Helper()
	if n := calls(t, ctx, r); n != 0 {
		t.Fatalf("%d handlers ran", n)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the actor afterwards: Add = %d, %v; want 1", n, err)
	}
}

// waitCalls waits until at least n counted handlers have started on r.
func waitCalls(t *testing.T, ctx context.Context, r uactor.Ref[*Counter], n int64) {
	t.Helper()
	for got := calls(t, ctx, r); got < n; got = calls(t, ctx, r) {
		if ctx.Err() != nil {
			t.Fatalf("only %d calls started; want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// receive returns the next value from ch, failing the test with what if
// none comes within d.
func receive[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s within %v", what, d)
		var zero T
		return zero
	}
}

// startReporting runs this test binary with env set to 1, which selects
// what it does (see TestMain), in a process group of its own that the
// actors it spawns join, as a terminal's job, and returns it with the
// first line it writes. The group is killed when the test ends, unless
// the test has waited for the process already.
func startReporting(t *testing.T, env, what string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not reaped: its pid, and so its group's, is not free for reuse
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	return cmd, receive(t, line, 10*time.Second, what)
}

// failsWithin runs f and fails the test unless f returns, within d, an
// error that matches target.
func failsWithin(t *testing.T, what string, target error, d time.Duration, f func() error) {
	t.Helper()
	start := time.Now()
	err := f()
	if el := time.Since(start); !errors.Is(err, target) || el > d {
		t.Fatalf("%s = %v after %v; want %v within %v", what, err, el, target, d)
	}
}

// assertGone fails the test unless pid exits within d.
func assertGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !proctest.Gone(pid) {
		if time.Now().After(deadline) {
			t.Errorf("process %d still alive %v later", pid, d)
			syscall.Kill(pid, syscall.SIGKILL)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertReaped fails the test unless pid is gone altogether: reaped, not
// even a zombie.
func assertReaped(t *testing.T, pid int) {
	t.Helper()
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !os.IsNotExist(err) {
		t.Fatalf("process %d still exists (a zombie?): %v", pid, err)
	}
}

func killPID(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

// stop sends SIGSTOP to pid and waits until the process is stopped; the
// test sends SIGCONT when it ends.
func stop(t *testing.T, pid int) {
	t.Helper()
	syscall.Kill(pid, syscall.SIGSTOP)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if proctest.State(pid) == 'T' {
			return
		}
	}
	t.Fatalf("process %d did not stop", pid)
}

// waitDone fails the test unless r's Done closes within d.
func waitDone[A any](t *testing.T, r uactor.Ref[A], d time.Duration) {
	t.Helper()
	receive(t, r.Done(), d, "Done still open after the actor's end")
}

func isDone[A any](r uactor.Ref[A]) bool {
	select {
	case <-r.Done():
		return true
	default:
		return false
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return port(t, "tcp://"+ln.Addr().String())
}

// port returns the port of a tcp:// address, which must be bound.
func port(t *testing.T, address string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(strings.TrimPrefix(address, "tcp://"))
	if err != nil || p == "0" {
		t.Fatalf("address %q has no bound port (%v)", address, err)
	}
	return p
}

// peakGoroutines samples runtime.NumGoroutine until stop is called, which
// returns the highest count seen (its own goroutine included).
func peakGoroutines() (stop func() int) {
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() int { close(done); <-finished; return int(peak.Load()) }
}

// allocated runs f and returns the bytes allocated meanwhile (TotalAlloc)
// and the growth of live heap (HeapAlloc, after a collection).
func allocated(f func()) (total uint64, live int64) {
	runtime.GC()
	runtime.GC() // twice: frame buffer pools keep a victim cache for one cycle
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.GC()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc, int64(b.HeapAlloc) - int64(a.HeapAlloc)
}

const mib = 1 << 20

// copyRef returns a copy of r decoded from its binary form, as another
// process would hold it: it dials a connection of its own.
func copyRef[A any](t *testing.T, r uactor.Ref[A]) uactor.Ref[A] {
	t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var c uactor.Ref[A]
	if err := c.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// countRecords counts the JSON log records in out whose message is msg,
// and how many occurrences they stand for: each, plus those it says it
// left out ("dropped").
func countRecords(t *testing.T, out, msg string) (records, stands int) {
	t.Helper()
	for line := range strings.Lines(out) {
		var rec struct {
			Msg     string
			Dropped int
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		if rec.Msg == msg {
			records++
			stands += 1 + rec.Dropped
		}
	}
	return records, stands
}

// wantLogBounded fails t unless out holds between 1 and one a LogInterval
// (over elapsed, within which every record in out was made) of the records
// whose message is msg, standing for no more than the n occurrences (what)
// that there were.
func wantLogBounded(t *testing.T, out, msg string, n int, what string, elapsed time.Duration) {
	t.Helper()
	records, stands := countRecords(t, out, msg)
	t.Logf("%d records of %d %s in %v", records, n, what, elapsed.Round(time.Millisecond))
	if limit := 1 + int(elapsed/uactor.LogInterval); records == 0 || records > limit {
		t.Fatalf("%d records of %d %s in %v; want 1 to %d, one an interval of %v:\n%s",
			records, n, what, elapsed, limit, uactor.LogInterval, out)
	}
	if stands > n {
		t.Fatalf("the records stand for %d %s; there were %d:\n%s", stands, what, n, out)
	}
}
