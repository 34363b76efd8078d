//go:build linux

package spawn

import (
	"context"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A child catches SIGINT, SIGHUP and SIGPIPE so that they cannot end it,
// but the programs it runs inherit what its owner had: a signal the owner
// ignores (nohup's SIGHUP) stays ignored there, and one it does not keeps
// its default.
func TestChildLeavesIgnoredSignalsIgnored(t *testing.T) {
	if signal.Ignored(syscall.SIGINT) {
		t.Skip("this test process ignores SIGINT already")
	}
	if !signal.Ignored(syscall.SIGHUP) {
		signal.Ignore(syscall.SIGHUP)
		t.Cleanup(func() { signal.Reset(syscall.SIGHUP) })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out lockedBuffer
	p, _, err := Start(ctx, Config{Kind: "test", Bootstrap: []byte("\x00+signals"), Output: NewRelay(&out, "test", nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); <-p.Done(); p.Conn().Close() })
	done(t, p)
	var ignored uint64
	found := false
	for _, l := range strings.Split(out.String(), "\n") {
		if _, mask, ok := strings.Cut(l, "SigIgn:"); ok {
			ignored, err = strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			found = err == nil
		}
	}
	if !found {
		t.Fatalf("no signal mask in the output of the program the child ran:\n%s", out.String())
	}
	bit := func(s syscall.Signal) bool { return ignored&(1<<(s-1)) != 0 }
	if !bit(syscall.SIGHUP) {
		t.Errorf("SIGHUP, ignored by the owner, is not ignored in a program its actor ran (SigIgn %016x)", ignored)
	}
	if bit(syscall.SIGINT) {
		t.Errorf("SIGINT, at its default in the owner, is ignored in a program its actor ran (SigIgn %016x)", ignored)
	}
}
