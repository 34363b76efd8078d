package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/uactor-go/uactor/internal/rawecho"
	"github.com/uactor-go/uactor/uactor"
)

// echoActor is the actor measured: it returns its request.
type echoActor struct{}

// Echo returns b unchanged.
func (*echoActor) Echo(ctx context.Context, b []byte) ([]byte, error) { return b, nil }

// EchoLent returns its lent request unchanged.
func (*echoActor) EchoLent(ctx context.Context, b uactor.Lent) ([]byte, error) { return b, nil }

// Mallocs returns how many heap allocations the actor's process has made,
// so that the harness can count the actor's allocations per call.
func (*echoActor) Mallocs(context.Context, uactor.Empty) (uint64, error) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs, nil
}

var (
	echoKind = uactor.Define("bench-echo", func(ctx context.Context, _ uactor.Empty) (*echoActor, error) {
		return &echoActor{}, nil
	})
	echoMethod     = uactor.Expose(echoKind, "echo", (*echoActor).Echo)
	echoLentMethod = uactor.Expose(echoKind, "echolent", (*echoActor).EchoLent)
	mallocsMethod  = uactor.Expose(echoKind, "mallocs", (*echoActor).Mallocs)
)

// EchoServer is the net/rpc service of the net/rpc floor.
type EchoServer struct{}

// Echo sets *reply to req.
func (EchoServer) Echo(req []byte, reply *[]byte) error {
	*reply = req
	return nil
}

// envChild marks a process re-executed as one of the floors' children:
// "raw NETWORK ADDRESS", "rawowning NETWORK ADDRESS", "rpc NETWORK ADDRESS"
// or "firstbyte".
const envChild = "UACTOR_BENCH_CHILD"

// runChildMode runs this process as a child of the harness if it was
// started as one (a floor's child, or the pinned worker) and never returns
// then; otherwise it returns false at once.
func runChildMode() bool {
	if spec, ok := os.LookupEnv(envChild); ok {
		os.Exit(serveChild(spec))
	}
	if cfg, ok := os.LookupEnv(envWorker); ok {
		os.Exit(runWorker(cfg))
	}
	return false
}

// serveChild is the whole life of a floor's child process.
func serveChild(spec string) int {
	f := strings.Fields(spec)
	if len(f) == 1 && f[0] == "firstbyte" {
		// The spawn floor: the cheapest possible "I am up" from a re-executed binary.
		w := os.NewFile(3, "firstbyte")
		if w == nil {
			return 2
		}
		if _, err := w.Write([]byte{1}); err != nil {
			return 1
		}
		return 0
	}
	serve, ok := floorServers[f[0]]
	if len(f) != 3 || !ok {
		fmt.Fprintf(os.Stderr, "bench: bad %s=%q\n", envChild, spec)
		return 2
	}
	ln, err := net.Listen(f[1], f[2])
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("ready", ln.Addr())
	// Exit with the parent: it holds our stdin open for as long as it lives.
	go func() { io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	if err := serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	return 1
}

// floorServers serves a floor child's mode on its listener until it fails.
var floorServers = map[string]func(net.Listener) error{
	"raw":       rawecho.Serve,
	"rawowning": rawecho.ServeOwning,
	"rpc":       serveRPC,
}

// serveRPC is the net/rpc floor: EchoServer on every connection ln accepts.
func serveRPC(ln net.Listener) error {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Echo", EchoServer{}); err != nil {
		return err
	}
	srv.Accept(ln)
	return nil
}

// child is a floor's child process, serving at network and addr.
type child struct {
	cmd     *exec.Cmd
	stdin   io.Closer
	stdout  io.Closer // closed by Close: Wait does not close a pipe it did not make
	network string
	addr    string
}

// startChild re-executes this binary as a floor's child of the given
// mode ("raw", "rawowning" or "rpc") listening at network and addr, and
// waits until it serves.
func startChild(mode, network, addr string) (*child, error) {
	c, out, err := execChild(mode, network, addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s child: %w", mode, network, err)
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		a, ok := strings.CutPrefix(strings.TrimSpace(s), "ready ")
		if !ok {
			c.Close()
			return nil, fmt.Errorf("%s %s child: %q", mode, network, strings.TrimSpace(s))
		}
		c.addr = a
		return c, nil
	case <-time.After(10 * time.Second):
		c.Close()
		return nil, fmt.Errorf("%s %s child: not ready after 10s", mode, network)
	}
}

// execChild starts startChild's process, and returns it with its stdout.
func execChild(mode, network, addr string) (*child, io.Reader, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = childEnv(envChild + "=" + mode + " " + network + " " + addr)
	cmd.Stderr = os.Stderr
	// Pipes of our own rather than StdinPipe and StdoutPipe: the child's
	// ends of those are closed only by Start or Wait, so one made before
	// the other failed would stay open.
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	err = cmd.Start()
	inR.Close() // the child's ends: it has its copies, or failed to start
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, nil, err
	}
	return &child{cmd: cmd, stdin: inW, stdout: outR, network: network}, outR, nil
}

// Close kills the child and reaps it.
func (c *child) Close() {
	c.stdin.Close()
	c.cmd.Process.Kill()
	c.cmd.Wait()
	c.stdout.Close()
}

// dial connects to the child.
func (c *child) dial() (net.Conn, error) {
	return net.DialTimeout(c.network, c.addr, 5*time.Second)
}

// childEnv is this process's environment, minus the harness's own markers,
// plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envChild+"=") && !strings.HasPrefix(kv, envWorker+"=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// rawFirstByte re-executes this binary in "firstbyte" mode and returns the
// time from starting it to reading the byte it writes: the spawn floor.
func rawFirstByte() (time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cmd := exec.Command(exe)
	cmd.Env = childEnv(envChild + "=firstbyte")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = []*os.File{w} // fd 3
	t0 := time.Now()
	err = cmd.Start()
	w.Close()
	if err != nil {
		return 0, err
	}
	defer cmd.Wait()
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	_, err = io.ReadFull(r, b[:])
	d := time.Since(t0)
	if err != nil {
		cmd.Process.Kill()
		return 0, fmt.Errorf("firstbyte child: %w", err)
	}
	return d, nil
}

// oursFirstReply spawns an echo actor and returns the time from calling
// Spawn to its first reply; the actor is closed outside the timing.
func oursFirstReply(ctx context.Context, req []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t0 := time.Now()
	ref, err := uactor.Spawn(ctx, echoKind, uactor.Empty{})
	if err != nil {
		return 0, err
	}
	defer ref.Close()
	resp, err := echoMethod.Call(ctx, ref, req)
	d := time.Since(t0)
	if err == nil && len(resp) != len(req) {
		err = errors.New("echo: wrong reply length")
	}
	return d, err
}

// standbyFirstReply is oursFirstReply with a standby waiting. Starting the
// standby, and ending the one that replaces it, are not timed, and neither
// runs while another sample is timed.
func standbyFirstReply(ctx context.Context, req []byte) (time.Duration, error) {
	if err := uactor.Standby(ctx, 1); err != nil {
		return 0, err
	}
	d, err := oursFirstReply(ctx, req)
	if err2 := uactor.Standby(ctx, 0); err == nil {
		err = err2
	}
	return d, err
}
