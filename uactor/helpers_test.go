package uactor_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/rawecho"
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

// spawnCounter spawns a counter that the test stops (and reaps) when it ends.
func spawnCounter(t *testing.T, ctx context.Context, opts ...uactor.Option) uactor.Ref[*Counter] {
	t.Helper()
	r, err := uactor.Spawn(ctx, CounterKind, 0, opts...)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	t.Cleanup(func() {
		r.Close()
		assertGone(t, r.PID(), time.Second)
	})
	return r
}

// processGone reports whether pid has exited: no such process, or a zombie
// (an orphan whose reaper is slow is as dead as it gets).
func processGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z' || s[i+2] == 'X'
}

// assertGone fails the test unless pid exits within d.
func assertGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Errorf("process %d still alive %v later", pid, d)
			syscall.Kill(pid, syscall.SIGKILL)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runParentMode, in a process started by startParent, spawns a counter,
// asks it to spawn one of its own (a three-level tree), prints both pids
// and waits to be killed.
func runParentMode() bool {
	if os.Getenv("UACTOR_TEST_PARENT") == "" {
		return false
	}
	ctx := context.Background()
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	grandchild, err := SpawnChild.Call(ctx, r, uactor.Empty{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("pids", r.PID(), grandchild)
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(0)
	return true
}

// startParent runs the test binary in parent mode and returns it with the
// pids of its actor and its actor's actor.
func startParent(t *testing.T) (*exec.Cmd, int, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "UACTOR_TEST_PARENT=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	var s string
	select {
	case s = <-line:
	case <-time.After(10 * time.Second):
		t.Fatal("parent process did not report its actors")
	}
	f := strings.Fields(s)
	if len(f) != 3 || f[0] != "pids" {
		t.Fatalf("parent process said %q", s)
	}
	a, _ := strconv.Atoi(f[1])
	b, _ := strconv.Atoi(f[2])
	return cmd, a, b
}

// serveRawEcho, in a process started by startRawEcho, echoes length-prefixed
// messages on a Unix socket with no library in between: the physical floor
// that the benchmarks compare calls against.
func serveRawEcho() bool {
	where := os.Getenv("UACTOR_TEST_RAW_ECHO")
	if where == "" {
		return false
	}
	network, addr := "unix", where
	if where == "tcp" {
		network, addr = "tcp", "127.0.0.1:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("ready", ln.Addr())
	go func() { io.Copy(io.Discard, os.Stdin); os.Exit(0) }() // exit with the parent
	rawecho.Serve(ln)
	os.Exit(1)
	return true
}

// startRawEcho starts a raw echo process on network ("unix" or "tcp") and
// returns a connection to it.
func startRawEcho(tb testing.TB, network string) net.Conn {
	tb.Helper()
	where := "tcp"
	if network == "unix" {
		where = tb.TempDir() + "/echo.sock"
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "UACTOR_TEST_RAW_ECHO="+where)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	s, _ := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(s), "ready ")
	if !ok {
		tb.Fatalf("raw echo: %q", s)
	}
	c, err := net.Dial(network, addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func killPID(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

// stop sends SIGSTOP to pid and waits until the process is stopped.
func stop(t *testing.T, pid int) {
	t.Helper()
	syscall.Kill(pid, syscall.SIGSTOP)
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'T' {
			return
		}
	}
	t.Fatalf("process %d did not stop", pid)
}

// checkGoroutines records how many goroutines run now and, when the test
// ends (after every cleanup registered later), waits up to 3 s for the count
// to come back to at most that (plus a little slack), failing with a dump
// of every goroutine otherwise. Call it first in a test.
func checkGoroutines(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		const slack = 2
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= base+slack {
				return
			}
			if time.Now().After(deadline) {
				var b strings.Builder
				pprof.Lookup("goroutine").WriteTo(&b, 1)
				t.Errorf("goroutine leak: %d goroutines at the start, %d three seconds after the end\n%s", base, n, b.String())
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
