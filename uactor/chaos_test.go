package uactor_test

import (
	"bufio"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Ledger appends every call token it runs to a file that all its
// processes (restarts included) share, so that a test can see which calls
// ran, and how often.
type Ledger struct{ f *os.File }

func (l *Ledger) Record(ctx context.Context, token uint64) (int, error) {
	// One write to an O_APPEND file: lines from concurrent calls and
	// processes never interleave.
	if _, err := l.f.Write(append(strconv.AppendUint(nil, token, 10), '\n')); err != nil {
		return 0, err
	}
	return os.Getpid(), nil
}

var (
	LedgerKind = uactor.Define("ledger", func(ctx context.Context, path string) (*Ledger, error) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		return &Ledger{f}, err
	})
	Record = uactor.Expose(LedgerKind, "record", (*Ledger).Record)
)

// Chaos: four restarting actors, 32 callers with a 2 s deadline per call,
// and a SIGKILL of a random actor every 300 ms, for 20 s. Every call
// returns (its deadline plus 10 s is a hang guard), with success,
// ErrActorDied or a context error; no call runs twice; most succeed; and
// afterwards no actor process and no goroutine is left.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("20 s of chaos")
	}
	const (
		actors   = 4
		callers  = 32
		deadline = 2 * time.Second
		slack    = 10 * time.Second // a guard against hanging, not a speed
		every    = 300 * time.Millisecond
		runFor   = 20 * time.Second
	)
	ctx := testCtx(t, 2*time.Minute)
	ledger := filepath.Join(t.TempDir(), "ledger")
	var pids sync.Map
	refs := make([]uactor.Ref[*Ledger], actors)
	for i := range refs {
		r, err := uactor.Spawn(ctx, LedgerKind, ledger, uactor.Restart(1000, time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		refs[i] = r
		pids.Store(r.PID(), true)
		defer r.Close()
	}

	var (
		ok, died, expired, kills atomic.Int64
		slowest                  atomic.Int64 // ns
		succeeded                sync.Map     // token -> true
		mu                       sync.Mutex
		problems                 []string
	)
	problem := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 10 {
			problems = append(problems, s)
		}
	}
	var token atomic.Uint64
	end := time.Now().Add(runFor)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for time.Now().Before(end) {
				r := refs[rand.IntN(actors)]
				tok := token.Add(1)
				cctx, cancel := context.WithTimeout(ctx, deadline)
				start := time.Now()
				pid, err := Record.Call(cctx, r, tok)
				took := time.Since(start)
				cancel()
				for old := slowest.Load(); int64(took) > old; old = slowest.Load() {
					if slowest.CompareAndSwap(old, int64(took)) {
						break
					}
				}
				if took > deadline+slack {
					problem("a call took " + took.String())
				}
				switch {
				case err == nil:
					ok.Add(1)
					succeeded.Store(tok, true)
					pids.Store(pid, true)
				case errors.Is(err, uactor.ErrActorDied):
					died.Add(1)
				case errors.Is(err, context.DeadlineExceeded):
					expired.Add(1)
				default:
					problem("unexpected error: " + err.Error())
				}
			}
		})
	}
	wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for time.Now().Before(end) {
			<-tick.C
			pid := refs[rand.IntN(actors)].PID()
			pids.Store(pid, true)
			killPID(pid)
			kills.Add(1)
		}
	})
	wg.Wait()
	for _, r := range refs {
		if isDone(r) {
			t.Errorf("an actor stayed dead: %v", r.Err())
		}
		r.Close()
	}
	total := ok.Load() + died.Load() + expired.Load()
	t.Logf("chaos: %d kills; %d calls: %d succeeded, %d ErrActorDied, %d deadline exceeded; slowest %v",
		kills.Load(), total, ok.Load(), died.Load(), expired.Load(), time.Duration(slowest.Load()))
	for _, p := range problems {
		t.Error(p)
	}
	if ok.Load()*2 <= total {
		t.Errorf("only %d of %d calls succeeded", ok.Load(), total)
	}

	// No call ran twice, and every call that succeeded ran.
	f, err := os.Open(ledger)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ran := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if ran[sc.Text()] {
			t.Errorf("call %s ran twice", sc.Text())
		}
		ran[sc.Text()] = true
	}
	succeeded.Range(func(k, _ any) bool {
		if !ran[strconv.FormatUint(k.(uint64), 10)] {
			t.Errorf("call %d succeeded but never ran", k)
		}
		return true
	})
	t.Logf("chaos: %d calls ran, each once", len(ran))
	n := 0
	pids.Range(func(k, _ any) bool {
		n++
		assertGone(t, k.(int), 2*time.Second)
		return true
	})
	t.Logf("chaos: %d actor processes, none left", n)
}
