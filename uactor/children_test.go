package uactor_test

// The other roles this test binary plays when a test starts it as a child
// process: TestMain hands over to them when their variable is set.

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/internal/rawecho"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

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

// startParent runs the test binary in parent mode (see startReporting)
// and returns it with the pids of its actor and its actor's actor.
func startParent(t *testing.T) (*exec.Cmd, int, int) {
	t.Helper()
	cmd, s := startReporting(t, "UACTOR_TEST_PARENT", "the parent process did not report its actors")
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
	if os.Getenv("UACTOR_TEST_RAW_ECHO_OWNING") != "" {
		rawecho.ServeOwning(ln)
	} else {
		rawecho.Serve(ln)
	}
	os.Exit(1)
	return true
}

// startRawEcho starts a raw echo process on network ("unix" or "tcp") and
// returns a connection to it. With owning, the process reads each message
// into a new array (rawecho.EchoOwning).
func startRawEcho(tb testing.TB, network string, owning bool) net.Conn {
	tb.Helper()
	where := "tcp"
	if network == "unix" {
		where = tb.TempDir() + "/echo.sock"
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "UACTOR_TEST_RAW_ECHO="+where)
	if owning {
		cmd.Env = append(cmd.Env, "UACTOR_TEST_RAW_ECHO_OWNING=1")
	}
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

// forgeReadyIfAsked, in an actor process started while
// UACTOR_TEST_FORGE_READY names an address, plays a compromised actor: it
// reads its bootstrap, reports that address as the one it listens on (with
// the actor id it was given), and exits when its parent asks or goes.
func forgeReadyIfAsked() {
	addr := os.Getenv("UACTOR_TEST_FORGE_READY")
	if addr == "" || os.Getenv("UACTOR_KIND") == "" {
		return
	}
	ctl := os.NewFile(3, "bootstrap")
	boot, err := readRecord(ctl)
	if err != nil {
		os.Exit(2)
	}
	// The bootstrap ends with the 16-byte actor id and the socket directory
	// as a string (a one-byte length: temp paths are short).
	var id []byte
	for n := 0; n < 128 && n+17 <= len(boot); n++ {
		if int(boot[len(boot)-1-n]) == n {
			id = boot[len(boot)-1-n-16 : len(boot)-1-n]
			break
		}
	}
	ready := wire.AppendString(nil, addr)
	ready = wire.AppendString(ready, addr)
	ready = append(ready, id...)
	rec := binary.BigEndian.AppendUint32([]byte{'R'}, uint32(len(ready)))
	ctl.Write(append(rec, ready...))
	for {
		if _, err := readRecord(ctl); err != nil {
			os.Exit(0)
		}
	}
}

// readRecord reads one record of the bootstrap pipe: a type byte, a 4-byte
// length, the body.
func readRecord(r io.Reader) ([]byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(h[1:]))
	_, err := io.ReadFull(r, b)
	return b, err
}

// garbleReadyIfAsked, in an actor process started while
// UACTOR_TEST_GARBLE_READY is set, answers its bootstrap with a record
// header whose length exceeds the bound on records, then stays alive.
func garbleReadyIfAsked() {
	if os.Getenv("UACTOR_TEST_GARBLE_READY") == "" || os.Getenv("UACTOR_KIND") == "" {
		return
	}
	ctl := os.NewFile(3, "bootstrap")
	if _, err := readRecord(ctl); err != nil {
		os.Exit(2)
	}
	ctl.Write([]byte{'R', 0xff, 0xff, 0xff, 0xff})
	time.Sleep(8 * time.Second)
	os.Exit(0)
}

// A child that answers its bootstrap with a record too large, and stays
// alive, fails Spawn at once and is killed. Before, Spawn waited for it to
// exit, past its own context, and an owner's Close waited the same way
// behind a restart.
func TestSpawnFailsOnBadRecord(t *testing.T) {
	checkGoroutines(t)
	t.Setenv("UACTOR_TEST_GARBLE_READY", "1")
	before := proctest.Children(os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := make(chan error, 1)
	go func() {
		r, err := uactor.Spawn(ctx, CounterKind, 1)
		if err == nil {
			r.Close()
		}
		res <- err
	}()
	select {
	case err := <-res:
		if err == nil {
			t.Fatal("Spawn of a child that sent a bad record succeeded")
		}
	case <-time.After(5 * time.Second):
		for _, k := range proctest.Children(os.Getpid()) {
			if !slices.Contains(before, k) {
				killPID(k)
			}
		}
		t.Fatalf("Spawn still waits on a child that sent a bad record and lives on (then: %v)", <-res)
	}
}
