package uactor_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The connection and mainloop examples take their flags after the mode too,
// as forwarding and registry do ("serve -listen …"): they were read before
// it only, and after it were ignored, so that serve listened where the
// flags said not to.
func TestExampleFlagsAfterMode(t *testing.T) {
	for _, name := range []string{"connection", "mainloop"} {
		t.Run(name, func(t *testing.T) {
			bin := example(t, name)
			owner := start(t, bin, "serve", "-listen", "tcp://127.0.0.1:0")
			pid, host, port := parseActor(t, owner.line(t, 20*time.Second))
			if host != "127.0.0.1" || port == "6000" {
				t.Fatalf("serve -listen tcp://127.0.0.1:0 printed %s:%s; want 127.0.0.1 and a free port", host, port)
			}
			if name == "mainloop" {
				shutdownRemotely(t, owner, start(t, bin, "shutdown", "localhost:"+port), pid)
				return
			}
			owner.cmd.Process.Signal(os.Interrupt)
			owner.exited(t, 10*time.Second)
			waitGone(t, pid, 2*time.Second)
		})
	}
}

// A mode given arguments it does not take is refused with the usage (exit
// code 2), rather than run as if they were not there.
func TestExampleExtraArgumentsRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"connection", []string{"serve", "tcp://127.0.0.1:0"}},
		{"connection", []string{"connect", "localhost:1", "extra"}},
		{"mainloop", []string{"serve", "extra"}},
		{"mainloop", []string{"shutdown"}},
		// serve's flags, which the other modes do not take
		{"connection", []string{"connect", "-listen", "tcp://127.0.0.1:0", "localhost:1"}},
		{"mainloop", []string{"-advertise", "127.0.0.1", "shutdown", "localhost:1"}},
		{"forwarding", []string{"-port", "0", "connect", "localhost:1"}},
		{"forwarding", []string{"serve", "-listen", "tcp://127.0.0.1:0", "extra"}},
		// The registry's -advertise names a host for ten actors on ten
		// ports: a port in it would register them all at one address.
		{"registry", []string{"add", "-advertise", "tcp://127.0.0.1:7000", "localhost:1"}},
		{"registry", []string{"serve", "-listen", "tcp://127.0.0.1:0", "-host", "127.0.0.1", "-advertise", "127.0.0.1:7000"}},
	} {
		t.Run(tc.name+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, example(t, tc.name), tc.args...).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "usage:") {
				t.Fatalf("%s %q: %v, printed %q; want the usage and exit code 2", tc.name, tc.args, err, out)
			}
		})
	}
}
