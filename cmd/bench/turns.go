package main

import (
	"context"
	"runtime"
	"slices"
	"time"
)

// turns is how many turns each side of a comparison takes in one
// measurement. Ours, the raw floor and net/rpc alternate, a slice of the
// measurement's time each, so that what the machine does meanwhile (other
// work, a slow spell) falls on every side alike rather than on whichever
// was measured at that moment.
const turns = 5

// latencySide is what one side of measureLatencies has gathered so far.
type latencySide struct {
	samples []time.Duration
	rate    float64 // the fastest calls per second seen so far, warm-up included
	elapsed time.Duration
	mallocs uint64
	err     error
}

// measureLatencies measures each call for d in all, one call in flight:
// each warms up, then they take turns of d/turns back to back, and each
// side's turns are summarized together, allocations included.
func measureLatencies(ctx context.Context, d time.Duration, calls ...func() error) []Latency {
	sides := make([]latencySide, len(calls))
	for i, call := range calls {
		sides[i].rate, sides[i].err = warmup(ctx, d/5, call)
	}
	runtime.GC()
	for range turns {
		for i, call := range calls {
			if sides[i].err == nil {
				sides[i].turn(ctx, d/turns, call)
			}
		}
	}
	out := make([]Latency, len(calls))
	for i, s := range sides {
		l := summarize(s.samples, s.elapsed)
		if l.N > 0 {
			l.Allocs = float64(s.mallocs) / float64(l.N)
		}
		if s.err != nil {
			l.Err = failure(ctx, s.err)
		}
		out[i] = l
	}
	return out
}

// turn times each call made during d, back to back, adding to s.
func (s *latencySide) turn(ctx context.Context, d time.Duration, call func() error) {
	// Room for twice the calls the fastest rate so far would make, taken
	// before the turn so that the harness allocates nothing per call. A
	// turn that fills it anyway ends early; a warm-up slowed by the machine
	// costs no turn, since the room grows with the rate turn by turn.
	if room := int(min(s.rate*d.Seconds()*2+100, maxSamples-float64(len(s.samples)))); room > cap(s.samples)-len(s.samples) {
		s.samples = slices.Grow(s.samples, room)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	made := len(s.samples)
	t0 := time.Now()
	deadline := t0.Add(d)
	t := t0
	for len(s.samples) < cap(s.samples) {
		if s.err = call(); s.err != nil {
			break
		}
		now := time.Now()
		s.samples = append(s.samples, now.Sub(t))
		t = now
		if !now.Before(deadline) {
			break
		}
		if s.err = ctx.Err(); s.err != nil {
			break
		}
	}
	runtime.ReadMemStats(&after)
	if took := t.Sub(t0); took > 0 {
		s.rate = max(s.rate, float64(len(s.samples)-made)/took.Seconds())
		s.elapsed += took
	}
	s.mallocs += after.Mallocs - before.Mallocs
}

// measureThroughputs measures, for each side, callers goroutines calling
// at once: each side warms up, then they take turns of d/turns, counting
// the calls completed.
func measureThroughputs(ctx context.Context, d time.Duration, callers int, newCalls ...func(i int) func() error) []Throughput {
	out := make([]Throughput, len(newCalls))
	calls := make([][]func() error, len(newCalls))
	errs := make([]error, len(newCalls))
	for s, newCall := range newCalls {
		out[s].Callers = callers
		calls[s] = make([]func() error, callers)
		for i := range calls[s] {
			calls[s][i] = newCall(i)
		}
		_, _, _, errs[s] = burst(ctx, d/5, calls[s])
	}
	runtime.GC()
	elapsed := make([]time.Duration, len(newCalls))
	allocs := make([]uint64, len(newCalls))
	for range turns {
		for s := range newCalls {
			if errs[s] != nil {
				continue
			}
			n, e, a, err := burst(ctx, d/turns, calls[s])
			out[s].N += n
			elapsed[s] += e
			allocs[s] += a
			errs[s] = err
		}
	}
	for s := range out {
		t := &out[s]
		t.Seconds = elapsed[s].Seconds()
		if t.N > 0 {
			t.PerSec = float64(t.N) / t.Seconds
			t.Allocs = float64(allocs[s]) / float64(t.N)
		}
		err := errs[s]
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			t.Err = failure(ctx, err)
		}
	}
	return out
}

// measureStartups runs each of onces n times, taking turns, and
// summarizes the durations each returns.
func measureStartups(ctx context.Context, n int, onces ...func() (time.Duration, error)) []Startup {
	ds := make([][]time.Duration, len(onces))
	out := make([]Startup, len(onces))
	for range n {
		for i, once := range onces {
			if out[i].Err != "" {
				continue
			}
			if err := ctx.Err(); err != nil {
				out[i].Err = err.Error()
				continue
			}
			d, err := once()
			if err != nil {
				out[i].Err = err.Error()
				continue
			}
			ds[i] = append(ds[i], d)
		}
	}
	for i := range out {
		out[i].N = len(ds[i])
		if len(ds[i]) > 0 {
			slices.Sort(ds[i])
			out[i].Median = median(ds[i])
			out[i].Min, out[i].Max = ds[i][0], ds[i][len(ds[i])-1]
		}
	}
	return out
}
