package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Latency is one sequential measurement: one call in flight at a time.
type Latency struct {
	N      int           `json:"n"`
	P50    time.Duration `json:"p50_ns"`
	P99    time.Duration `json:"p99_ns"`
	P999   time.Duration `json:"p99_9_ns"`
	Max    time.Duration `json:"max_ns"`
	Mean   time.Duration `json:"mean_ns"`
	PerSec float64       `json:"calls_per_s"`
	Allocs float64       `json:"allocs_per_call"` // client side: runtime.MemStats.Mallocs delta / N
	// ActorAllocs is the same count in the actor's process, warm-up calls
	// included; ours only.
	ActorAllocs float64 `json:"actor_allocs_per_call,omitempty"`
	Err         string  `json:"error,omitempty"`
}

// Throughput is one measurement of Callers goroutines calling at once.
type Throughput struct {
	Callers int     `json:"callers"`
	N       int     `json:"n"`
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"calls_per_s"`
	Allocs  float64 `json:"allocs_per_call"`
	Err     string  `json:"error,omitempty"`
}

// Startup is the time from starting a process to its first reply, over N tries.
type Startup struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median_ns"`
	Min    time.Duration `json:"min_ns"`
	Max    time.Duration `json:"max_ns"`
	Err    string        `json:"error,omitempty"`
}

// maxSamples bounds one measurement's sample buffer (8 bytes a sample).
const maxSamples = 4 << 20

// percentile returns the p-th percentile (0 < p <= 100) of sorted samples
// by the nearest-rank method: the smallest sample that at least p% of the
// samples do not exceed. It returns 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	x := p / 100 * float64(n)
	rank := int(math.Ceil(x))
	// p/100 is seldom exact in binary (99.9/100 × 1000 is 999.0000000000001):
	// a rank that is whole but for that rounding is that rank.
	if r := math.Round(x); math.Abs(x-r) <= 1e-12*r {
		rank = int(r)
	}
	return sorted[min(max(rank, 1), n)-1]
}

// summarize sorts samples in place and summarizes them; elapsed is the wall
// time they took together.
func summarize(samples []time.Duration, elapsed time.Duration) Latency {
	l := Latency{N: len(samples)}
	if l.N == 0 {
		return l
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	l.P50, l.P99, l.P999 = percentile(samples, 50), percentile(samples, 99), percentile(samples, 99.9)
	l.Max = samples[l.N-1]
	l.Mean = sum / time.Duration(l.N)
	if elapsed > 0 {
		l.PerSec = float64(l.N) / elapsed.Seconds()
	}
	return l
}

// warmup calls call for about d (at least 3 times) and returns the rate it achieved.
func warmup(ctx context.Context, d time.Duration, call func() error) (float64, error) {
	t0 := time.Now()
	n := 0
	for n < 3 || time.Since(t0) < d {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := call(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// burst runs every call function in its own goroutine, in a loop, for d
// (and at least once, however late its goroutine starts), and returns the
// calls completed, the time until the last one returned, and the
// allocations made meanwhile.
func burst(ctx context.Context, d time.Duration, calls []func() error) (int, time.Duration, uint64, error) {
	var (
		stop   atomic.Bool
		wg     sync.WaitGroup
		counts = make([]int, len(calls))
		errs   = make([]error, len(calls))
		start  = make(chan struct{})
	)
	for i, call := range calls {
		wg.Go(func() {
			<-start
			n := 0
			for n == 0 || !stop.Load() {
				if n == 0 && ctx.Err() != nil {
					break
				}
				if err := call(); err != nil {
					errs[i] = err
					stop.Store(true)
					break
				}
				n++
			}
			counts[i] = n
		})
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	close(start)
	timer := time.NewTimer(d)
	select {
	case <-timer.C:
	case <-ctx.Done():
		timer.Stop()
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	runtime.ReadMemStats(&after)
	total := 0
	for _, n := range counts {
		total += n
	}
	for _, err := range errs {
		if err != nil {
			return total, elapsed, after.Mallocs - before.Mallocs, err
		}
	}
	return total, elapsed, after.Mallocs - before.Mallocs, nil
}

// failure describes err, which ended a measurement under ctx.
func failure(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("stalled: a call got no reply for %v past the measurement's end (%v)", stallTimeout, err)
	}
	return err.Error()
}

// stallTimeout is how long past its planned end a measurement may run
// before its calls are given up as stalled. A variable for the tests.
var stallTimeout = 5 * time.Second

// bounded runs measure with a context that ends stallTimeout after a
// measurement of d, warm-up included, should be over. If it does end so,
// reads and writes on conns fail at once, so that a call stuck on them
// returns: a stalled call costs one measurement, never the run.
func bounded[T any](ctx context.Context, d time.Duration, conns []net.Conn, measure func(context.Context) T) T {
	mctx, cancel := context.WithTimeout(ctx, d+d/5+stallTimeout)
	defer cancel()
	stop := context.AfterFunc(mctx, func() {
		if errors.Is(mctx.Err(), context.DeadlineExceeded) {
			for _, c := range conns {
				c.SetDeadline(time.Unix(1, 0))
			}
		}
	})
	defer stop()
	return measure(mctx)
}

// median returns the median of sorted durations (the mean of the middle
// two for an even count).
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// String formats the latency's percentiles.
func (l Latency) String() string {
	if l.Err != "" && l.N == 0 {
		return "error: " + l.Err
	}
	s := fmt.Sprintf("p50 %s  p99 %s  p99.9 %s  %s  n=%d  %.2f allocs/call",
		fmtDur(l.P50), fmtDur(l.P99), fmtDur(l.P999), fmtRate(l.PerSec), l.N, l.Allocs)
	if l.Err != "" {
		s += "  error: " + l.Err
	}
	return s
}

// String formats the throughput in calls a second.
func (t Throughput) String() string {
	if t.Err != "" && t.N == 0 {
		return "error: " + t.Err
	}
	s := fmt.Sprintf("%s  n=%d  %.2f allocs/call", fmtRate(t.PerSec), t.N, t.Allocs)
	if t.Err != "" {
		s += "  error: " + t.Err
	}
	return s
}

// String formats the startup time.
func (s Startup) String() string {
	if s.Err != "" {
		return "error: " + s.Err
	}
	return fmt.Sprintf("median %s  min %s  max %s  n=%d", fmtDur(s.Median), fmtDur(s.Min), fmtDur(s.Max), s.N)
}
