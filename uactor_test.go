// End-to-end tests of the scenarios of uActor's networking chapter:
// the example programs are built and run as real, separate processes, the
// way a user runs them, and their output is checked.
package uactor_test

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/proctest"
	"github.com/uactor-go/uactor/uactor"
)

func TestMain(m *testing.M) {
	uactor.Main()
	if spec := os.Getenv(linkClientEnv); spec != "" { // a helper process of BenchmarkLinkCompression
		os.Exit(runLinkClient(spec))
	}
	if os.Getenv(partitionAgentEnv) != "" { // an agent of the partition tests
		os.Exit(runPartitionAgent())
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildMu sync.Mutex
	binDir  string
	built   = map[string]string{}
)

// example builds ./examples/<name> once per test binary and returns its path.
func example(t *testing.T, name string) string {
	t.Helper()
	return exampleVariant(t, name, "", "")
}

// exampleVariant builds ./examples/<name> with the one line of its main.go
// that reads old replaced by new (through go build -overlay, the source is
// left alone), once per test binary, and returns its path.
func exampleVariant(t *testing.T, name, old, new string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := name + "\x00" + old + "\x00" + new
	if p, ok := built[key]; ok {
		return p
	}
	if binDir == "" {
		d, err := os.MkdirTemp("", "uactor-examples-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
	}
	p := filepath.Join(binDir, fmt.Sprintf("%s-%d", name, len(built)))
	args := []string{"build", "-o", p}
	if old != "" {
		args = append(args, "-overlay", overlay(t, filepath.Join("examples", name, "main.go"), old, new))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", append(args, "./examples/"+name)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./examples/%s: %v\n%s", name, err, out)
	}
	built[key] = p
	return p
}

// overlay writes, into binDir, a copy of file whose one line that reads old
// (spaces aside) reads new instead, and the go build -overlay file that
// puts it in file's place; it returns the latter's path.
func overlay(t *testing.T, file, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	n := 0
	for i, l := range lines {
		if strings.TrimSpace(l) == old {
			lines[i], n = new, n+1
		}
	}
	if n != 1 {
		t.Fatalf("%s has %d lines that read %q; want exactly one", file, n, old)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	variant := filepath.Join(binDir, fmt.Sprintf("variant-%d.go", len(built)))
	if err := os.WriteFile(variant, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(binDir, fmt.Sprintf("overlay-%d.json", len(built)))
	if err := os.WriteFile(js, []byte(fmt.Sprintf(`{"Replace": {%q: %q}}`, abs, variant)), 0o644); err != nil {
		t.Fatal(err)
	}
	return js
}

// proc is a running example program whose stdout is read line by line.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	return startCmd(t, exec.Command(bin, args...))
}

// startCmd starts cmd, and kills it when the test ends. Its standard error
// goes to the test's, unless cmd has one set.
func startCmd(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 100), done: make(chan struct{})}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			p.lines <- s.Text()
		}
		io.Copy(io.Discard, out)
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) line(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case l := <-p.lines:
		return l
	case <-p.done:
		select { // every line is queued before done closes
		case l := <-p.lines:
			return l
		default:
		}
		t.Fatalf("%s exited (%v) before printing", p.cmd.Path, p.cmd.ProcessState)
	case <-time.After(d):
		t.Fatalf("%s printed nothing within %v", p.cmd.Path, d)
	}
	return ""
}

func (p *proc) exited(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			t.Fatalf("%s %v: %v", p.cmd.Path, p.cmd.Args[1:], p.cmd.ProcessState)
		}
	case <-time.After(d):
		t.Fatalf("%s %v still running after %v", p.cmd.Path, p.cmd.Args[1:], d)
	}
}

var actorLine = regexp.MustCompile(`^Actor process (\d+) at ([^ ]+):(\d+)$`)

// parseActor reads "Actor process <pid> at <host>:<port>".
func parseActor(t *testing.T, line string) (pid int, host, port string) {
	t.Helper()
	m := actorLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("unexpected line %q", line)
	}
	pid, _ = strconv.Atoi(m[1])
	return pid, m[2], m[3]
}

func alive(pid int) bool { return !proctest.Gone(pid) }

func waitGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("actor process %d still alive after %v", pid, d)
		}
	}
}

// uActor's "Connection": an actor on a random TCP port with an authkey; a second
// process connects by address and key and reaches the same process.
func TestScenarioConnection(t *testing.T) {
	bin := example(t, "connection")
	owner := start(t, bin, "-listen", "tcp://127.0.0.1:0", "serve")
	pid, host, port := parseActor(t, owner.line(t, 20*time.Second))
	if host != "127.0.0.1" || port == "0" || pid == owner.cmd.Process.Pid {
		t.Fatalf("owner printed pid %d at %s:%s (owner is %d)", pid, host, port, owner.cmd.Process.Pid)
	}
	remote := start(t, bin, "connect", "localhost:"+port)
	rpid, rhost, rport := parseActor(t, remote.line(t, 20*time.Second))
	if rpid != pid || rhost != "localhost" || rport != port {
		t.Fatalf("remote saw pid %d at %s:%s; want %d at localhost:%s", rpid, rhost, rport, pid, port)
	}
	remote.exited(t, 10*time.Second)
	if !alive(pid) {
		t.Fatal("a remote disconnect stopped the actor")
	}
	owner.cmd.Process.Signal(os.Interrupt)
	owner.exited(t, 10*time.Second)
	waitGone(t, pid, 2*time.Second)
}

// The connection example on a Unix socket: serve prints the socket's
// address, connect reaches the actor there, and neither warns that other
// hosts cannot dial it, which no Unix socket promises.
func TestScenarioConnectionUnix(t *testing.T) {
	bin := example(t, "connection")
	var stderr strings.Builder
	cmd := exec.Command(bin, "-listen", "unix", "serve")
	cmd.Stderr = &stderr
	owner := startCmd(t, cmd)
	l := owner.line(t, 20*time.Second)
	var pid int
	var address string
	if _, err := fmt.Sscanf(l, "Actor process %d at %s", &pid, &address); err != nil || !strings.HasPrefix(address, "unix://") {
		t.Fatalf("owner printed %q; want a unix:// address", l)
	}
	remote := start(t, bin, "connect", address)
	if l := remote.line(t, 20*time.Second); l != fmt.Sprintf("Actor process %d at %s", pid, address) {
		t.Fatalf("remote printed %q; want process %d at %s", l, pid, address)
	}
	remote.exited(t, 10*time.Second)
	owner.cmd.Process.Signal(os.Interrupt)
	owner.exited(t, 10*time.Second) // its standard error is all written once it exited
	waitGone(t, pid, 2*time.Second)
	if strings.Contains(stderr.String(), "advertise") {
		t.Fatalf("serve on a Unix socket warned: %q", stderr.String())
	}
}

// uActor's "Server mainloop with remote shutdown": the owner loops on Wait; a
// second process calls Shutdown; the loop ends and the actor process exits.
func TestScenarioMainloopRemoteShutdown(t *testing.T) {
	bin := example(t, "mainloop")
	owner := start(t, bin, "-listen", "tcp://127.0.0.1:0", "serve")
	pid, _, port := parseActor(t, owner.line(t, 20*time.Second))
	time.Sleep(100 * time.Millisecond) // the owner is now inside Wait
	if !alive(pid) {
		t.Fatal("actor not running")
	}
	shutdownRemotely(t, owner, start(t, bin, "shutdown", "localhost:"+port), pid)
}

// shutdownRemotely checks the mainloop example's remote shutdown: remote
// says it asked, the owner's loop ends, and the actor's process is gone.
func shutdownRemotely(t *testing.T, owner, remote *proc, pid int) {
	t.Helper()
	if l := remote.line(t, 30*time.Second); l != fmt.Sprintf("Asked actor process %d to shut down", pid) {
		t.Fatalf("shutdown printed %q", l)
	}
	remote.exited(t, 10*time.Second)
	if l := owner.line(t, 15*time.Second); l != "Shut down remotely" {
		t.Fatalf("owner printed %q", l)
	}
	owner.exited(t, 15*time.Second)
	waitGone(t, pid, 5*time.Second)
}

// The quickstart runs and its caller and actor are different processes.
func TestQuickstartExample(t *testing.T) {
	p := start(t, example(t, "quickstart"))
	caller := p.line(t, 20*time.Second)
	actor := p.line(t, 5*time.Second)
	var cpid, apid int
	fmt.Sscanf(caller, "caller process %d", &cpid)
	fmt.Sscanf(actor, "actor process  %d", &apid)
	if cpid == 0 || apid == 0 || cpid == apid {
		t.Fatalf("quickstart printed %q, %q: want two different pids", caller, actor)
	}
	p.exited(t, 10*time.Second)
}

// uActor's "Forwarded proxies": both approaches, as the example prints them.
// MyOtherActor listens on -host: it is reached at localhost where that
// name reaches it, and otherwise at the host it listens on.
func TestScenarioForwardingExample(t *testing.T) {
	ipv6 := "[::1]" // where localhost names ::1, the example reaches it so
	if addrs, _ := net.LookupHost("localhost"); slices.Contains(addrs, "::1") {
		ipv6 = "localhost"
	}
	for _, tc := range []struct {
		host, capture, reach string
	}{
		{"127.0.0.1", `tcp://127\.0\.0\.1:\d+`, "localhost"},
		{"127.0.0.2", `tcp://127\.0\.0\.2:\d+`, "127.0.0.2"}, // loopback, but not localhost
		{"::1", `tcp://\[::1\]:\d+`, ipv6},
		{"", `tcp://0\.0\.0\.0:\d+`, "localhost"}, // every interface
	} {
		t.Run(cmp.Or(tc.host, "every interface"), func(t *testing.T) {
			if l, err := net.Listen("tcp", net.JoinHostPort(tc.host, "0")); err != nil {
				t.Skipf("this host cannot listen on %s: %v", tc.host, err)
			} else {
				l.Close()
			}
			p := start(t, example(t, "forwarding"), "-host", tc.host, "-port", "0")
			expectForwarding(t, p, tc.capture, tc.reach, p.cmd.Process.Pid)
		})
	}
}

// expectForwarding checks what the forwarding example prints as it runs
// both approaches: capture is the address MyOtherActor's ref names (a
// regexp), host the host it reaches MyOtherActor on, and notPID a process
// MyOtherActor must not run in.
func expectForwarding(t *testing.T, p *proc, capture, host string, notPID int) {
	t.Helper()
	host = regexp.QuoteMeta(host)
	want := []*regexp.Regexp{
		regexp.MustCompile(`^without its key:  uactor: authkey for ` + capture + ` is wrong or unknown`),
		regexp.MustCompile(`^approach 1: got AuthKeyError; connecting to ` + host + `:\d+ capturing ` + capture + `$`),
		regexp.MustCompile(`^approach 1: my_other_actor reached at tcp://` + host + `:\d+, process (\d+)$`),
		regexp.MustCompile(`^approach 2: connecting to ` + host + `:\d+ capturing ` + capture + ` first$`),
		regexp.MustCompile(`^approach 2: my_other_actor reached at tcp://` + host + `:\d+, process (\d+)$`),
		regexp.MustCompile(`^after disconnecting, AuthKeyError again: true$`),
	}
	var pids []string
	for _, re := range want {
		l := p.line(t, 30*time.Second)
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("printed %q; want %v", l, re)
		}
		if len(m) > 1 {
			pids = append(pids, m[1])
		}
	}
	if pids[0] != pids[1] || pids[0] == strconv.Itoa(notPID) {
		t.Fatalf("the two approaches reached processes %v", pids)
	}
	p.exited(t, 15*time.Second)
}
