// Package bench compares uactor with its floors (raw length-prefixed frames
// on a Unix socket, no library) and its peers (net/rpc, gRPC, drpc), call
// for call, with the server in a child process and the client in the test
// process. It is a module of its own so that the core module never depends
// on gRPC or drpc. See README.md for how to run it and read it.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/rawecho"
	"github.com/uactor-go/uactor/uactor"
)

func TestMain(m *testing.M) {
	uactor.Main() // in a process that uactor.Spawn started, this runs the actor
	if serveChild() {
		return // not reached: a server child exits by itself
	}
	os.Exit(m.Run())
}

// echoFunc sends req to an echo server and returns what came back. The
// result may alias a buffer that the next call reuses (the raw floor does
// so); callers that keep it must copy it.
type echoFunc func(ctx context.Context, req []byte) ([]byte, error)

// peer is one way of echoing bytes through another process.
type peer struct {
	name string
	// start starts a server (a child process) and returns a client for it;
	// both are stopped by tb's cleanup.
	start func(tb testing.TB) echoFunc
	// concurrent: the echoFunc may be called from many goroutines at once,
	// over the one connection it holds.
	concurrent bool
}

// seqPeers are compared one call at a time, in this order.
var seqPeers = []peer{
	{"raw", startRaw, false},
	{"uactor", startUactor, true},
	{"netrpc", startNetRPC, true},
	{"grpc", startGRPC, true},
	{"drpc", startDRPC, true}, // safe, but one call at a time per connection
}

// concPeers are compared with many callers on one connection.
var concPeers = []peer{
	{"rawmux", startRawMux, true},
	{"uactor", startUactor, true},
	{"netrpc", startNetRPC, true},
	{"grpc", startGRPC, true},
	{"drpc", startDRPC, true},
}

// The server kinds that a child process can run, each on a Unix listener.
var serverKinds = map[string]func(ln net.Listener) error{
	"raw":    rawecho.Serve,
	"rawmux": serveRawMux,
	"netrpc": serveNetRPC,
	"grpc":   serveGRPC,
	"drpc":   serveDRPC,
}

// serverEnv names the server kind and socket path in a child's environment.
const serverEnv = "UACTOR_BENCH_SERVER"

// serveChild, in a process that startServer started, serves until its
// parent closes its standard input (or dies), then exits. Elsewhere it
// returns false at once.
func serveChild() bool {
	v := os.Getenv(serverEnv)
	if v == "" {
		return false
	}
	kind, path, _ := strings.Cut(v, " ")
	serve, ok := serverKinds[kind]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: unknown server kind %q\n", kind)
		os.Exit(2)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	go func() { io.Copy(io.Discard, os.Stdin); os.Exit(0) }() // exit with the parent
	fmt.Println("ready")
	err = serve(ln)
	fmt.Fprintf(os.Stderr, "bench: %s server: %v\n", kind, err)
	os.Exit(1)
	return true
}

// startServer re-executes the test binary as a server of the given kind,
// listening on a Unix socket in tb's temporary directory, and returns the
// socket's path once the server listens. tb's cleanup kills and reaps it.
func startServer(tb testing.TB, kind string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "s.sock")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serverEnv+"="+kind+" "+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "ready" {
			tb.Fatalf("%s server said %q", kind, s)
		}
	case <-time.After(10 * time.Second):
		tb.Fatalf("%s server did not start", kind)
	}
	return path
}

// dialUnix connects to the Unix socket at path; tb's cleanup closes the connection.
func dialUnix(tb testing.TB, path string) net.Conn {
	tb.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// benchCtx is a context for a benchmark's calls, cancelled by tb's cleanup.
func benchCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	return ctx
}
