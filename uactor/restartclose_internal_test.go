package uactor

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// restartOuter spawns a nestInner as it starts, and writes how each
// process it spawned ended to the file its argument names.
type restartOuter struct{ inner Ref[*nestInner] }

var restartOuterKind = Define("restart-close-outer", func(ctx context.Context, path string) (*restartOuter, error) {
	hook := func(kind string, exit *ExitError) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			f.WriteString(kind + " " + exit.Error() + "\n")
			f.Close()
		}
	}
	testHookExited.Store(&hook)
	inner, err := Spawn(ctx, nestInnerKind, Empty{}, GracePeriod(30*time.Second))
	return &restartOuter{inner}, err
})

// An owner's Close that lands as a restarted process has just started
// stops it as it would any process of the actor: within the grace period,
// so that the process stops the actors it spawned itself, rather than
// being killed at once and leaving them to find their owner gone.
func TestCloseAsRestartEndsGracefully(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	path := t.TempDir() + "/exits"
	outer, err := Spawn(ctx, restartOuterKind, path, GracePeriod(5*time.Second), Restart(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { outer.Close() })
	closed := make(chan struct{})
	hook := func(s *supervisor) {
		go func() { outer.Close(); close(closed) }()
		for { // until the Close has begun: the supervisor then finds it
			s.mu.Lock()
			stopping := s.stopping
			s.mu.Unlock()
			if stopping || ctx.Err() != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	testHookRestarted.Store(&hook)
	t.Cleanup(func() { testHookRestarted.Store(nil) })
	if err := syscall.Kill(outer.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("the actor was neither restarted nor closed")
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], nestInnerKind.Name()+" ") || !strings.HasSuffix(lines[0], "exited with code 0") {
		t.Fatalf("how the restarted process's own actor ended, in that process: %q; want one clean exit, stopped by its owner", b)
	}
}
