//go:build linux && !(mips || mipsle || mips64 || mips64le)

package spawn

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// reapWays runs f once for each way this package may wait for a child:
// the poller with a pidfd, a goroutine with a pidfd, and os/exec's Wait.
func reapWays(t *testing.T, f func(t *testing.T)) {
	for _, w := range []struct {
		name              string
		noPoller, noPidfd bool
	}{{"poller", false, false}, {"goroutine", true, false}, {"wait", true, true}} {
		t.Run(w.name, func(t *testing.T) {
			noPoller.Store(w.noPoller)
			noClonePidfd.Store(w.noPidfd)
			t.Cleanup(func() { noPoller.Store(false); noClonePidfd.Store(false) })
			f(t)
		})
	}
}

// startTestChild starts runTestChild with code as its exit code (0xff:
// none until stopped), its output relayed to out, and checks its ready
// record.
func startTestChild(t *testing.T, code byte, out *lockedBuffer) *Process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, ready, err := Start(ctx, Config{Kind: "test", Bootstrap: []byte{code, 'x'}, Output: NewRelay(out, "test", nil)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); <-p.Done(); p.Conn().Close() })
	if string(ready) != string([]byte{code, 'x'}) {
		t.Fatalf("ready record %q", ready)
	}
	return p
}

// done waits for p to be reaped, and checks that it is gone for good.
func done(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("child %d not reaped", p.PID())
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", p.PID())); err == nil {
		t.Fatalf("child %d reaped, yet it still exists (a zombie?)", p.PID())
	}
}

// A child that exits by itself is reaped, whichever way this package
// waits, with its exit code known and its last lines relayed, the one cut
// short included, before Done closes.
func TestChildExitReapedWithItsOutput(t *testing.T) {
	reapWays(t, func(t *testing.T) {
		var out lockedBuffer
		p := startTestChild(t, 7, &out)
		done(t, p)
		if ws, known := p.Status(); !known || ws.ExitStatus() != 7 {
			t.Errorf("status %v (known %v); want exit status 7", ws, known)
		}
		got := out.String()
		for _, want := range []string{fmt.Sprintf("test[%d] out of %d\n", p.PID(), p.PID()), fmt.Sprintf("test[%d] cut short\n", p.PID())} {
			if !strings.Contains(got, want) {
				t.Errorf("output %q lacks %q", got, want)
			}
		}
	})
}

// A Stop that races the child's own exit, or a Kill, leaves no zombie, and
// each returns once the child is reaped, whichever way this package waits.
func TestStopRacingExitLeavesNoZombie(t *testing.T) {
	reapWays(t, func(t *testing.T) {
		for i := range 6 {
			var out lockedBuffer
			code := byte(0xff) // exits once stopped
			if i%2 == 1 {
				code = 0 // exits at once, as Stop comes
			}
			p := startTestChild(t, code, &out)
			var wg sync.WaitGroup
			wg.Go(func() { p.Stop(5*time.Second, 5*time.Second) })
			if i%3 == 2 {
				wg.Go(p.Kill)
			}
			wg.Wait()
			done(t, p)
		}
	})
}

// lockedBuffer is a strings.Builder that a relay writes while a test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
