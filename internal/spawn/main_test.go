package spawn

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs this test binary as a child when Start started it (see
// runTestChild), and the tests otherwise.
func TestMain(m *testing.M) {
	if _, child := ChildKind(); child {
		os.Exit(runTestChild())
	}
	os.Exit(m.Run())
}

// runTestChild is a child for the tests of this package: it reports ready
// with the bootstrap's data, writes a line to stdout and a line cut short
// to stderr, and exits with the code the bootstrap's first byte gives,
// at once, or, if that byte is 0xff, once its parent asks it to stop. With
// data ending in "+signals", it first runs a program that writes its
// /proc status (its signals' dispositions among it) to stdout.
func runTestChild() int {
	c, err := OpenChild()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if c.Kind == "" { // a standby
		if os.Getenv(envTermAtBootstrap) != "" {
			// SIGTERM comes as the bootstrap has been read, and Bootstrap
			// sees it first.
			testHookBootstrapRead = func() {
				syscall.Kill(os.Getpid(), syscall.SIGTERM)
				select {}
			}
		}
		if c.Warm() != nil {
			return 2
		}
	}
	data, err := c.Bootstrap()
	if err != nil || len(data) == 0 {
		return 2
	}
	stop := make(chan struct{})
	c.Watch(func(_, _ time.Duration) { close(stop) }, func(bool) { os.Exit(3) })
	if err := c.Ready(data); err != nil {
		return 2
	}
	if strings.HasSuffix(string(data), "+signals") { // what a program it runs inherits
		cmd := exec.Command("cat", "/proc/self/status")
		cmd.Stdout = os.Stdout
		cmd.Run()
	}
	fmt.Fprintf(os.Stdout, "out of %d\n", os.Getpid())
	fmt.Fprintf(os.Stderr, "cut short")
	if data[0] == 0xff {
		<-stop
		return 0
	}
	return int(data[0])
}
