package uactor_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// How soon the owner learns of a death, and how soon a restarted actor
// serves again: each iteration SIGKILLs the actor and measures, and the
// median is reported beside the mean (run with -benchtime=20x for a median
// of 20).

// reportMedian reports the median of d as "median-ms".
func reportMedian(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "median-ms")
}

// benchKillToDone spawns a counter with opts for each iteration and times
// from its SIGKILL to the close of Done on the ref that watch returns (the
// owner's, or one connected to the actor; watch may return a cleanup).
func benchKillToDone(b *testing.B, watch func(ctx context.Context, r uactor.Ref[*Counter]) (uactor.Ref[*Counter], func()), opts ...uactor.Option) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var took []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r, err := uactor.Spawn(ctx, CounterKind, 0, opts...)
		if err != nil {
			b.Fatal(err)
		}
		w, done := watch(ctx, r)
		b.StartTimer()
		start := time.Now()
		killPID(r.PID())
		<-w.Done()
		took = append(took, time.Since(start))
		b.StopTimer()
		done()
		r.Close()
		b.StartTimer()
	}
	reportMedian(b, took)
}

// From SIGKILL to the owner's Done (no restart).
func BenchmarkKillToDone(b *testing.B) {
	benchKillToDone(b, func(_ context.Context, r uactor.Ref[*Counter]) (uactor.Ref[*Counter], func()) { return r, func() {} })
}

// From SIGKILL to Done of a ref connected to the actor (no restart): at
// once on a Unix socket, whose directory the owner removes; over TCP, after
// the reconnect window (DialTimeout, here 1 s).
func BenchmarkKillToDoneConnected(b *testing.B) {
	for _, listen := range []string{"unix", "tcp://127.0.0.1:0"} {
		b.Run(listen, func(b *testing.B) {
			benchKillToDone(b, func(ctx context.Context, r uactor.Ref[*Counter]) (uactor.Ref[*Counter], func()) {
				c, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("k"), uactor.DialTimeout(time.Second))
				if err != nil {
					b.Fatal(err)
				}
				return c, func() { c.Close() }
			}, uactor.Listen(listen), uactor.AuthKey([]byte("k")))
		})
	}
}

// From SIGKILL to the first call that succeeds on the restarted actor,
// which had served for over a second (so Restart waits not at all): with
// the restart starting a process, and with a standby waiting for it.
func BenchmarkKillToFirstCallAfterRestart(b *testing.B) {
	for _, standby := range []bool{false, true} {
		name := "exec"
		if standby {
			name = "standby"
		}
		b.Run(name, func(b *testing.B) { benchRestart(b, standby) })
	}
}

func benchRestart(b *testing.B, standby bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Restart(b.N+1, time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if standby {
		defer uactor.Standby(ctx, 0)
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		time.Sleep(time.Second + 100*time.Millisecond) // past Restart's backoff: this measures the restart itself
		if standby {
			if err := uactor.Standby(ctx, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		killPID(r.PID())
		for {
			if _, err := Add.Call(ctx, r, 1); err == nil {
				break
			} else if ctx.Err() != nil {
				b.Fatal(err)
			}
		}
		took = append(took, time.Since(start))
	}
	reportMedian(b, took)
}
