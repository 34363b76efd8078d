package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// runs counts the runs of equal letters in s ("aabba" has 3).
func runs(s string) int { return len(runLengths(s)) }

// runLengths returns the lengths of the runs of equal letters in s
// ("aabba" gives 2, 2, 1).
func runLengths(s string) []int {
	var ls []int
	for i := range len(s) {
		if i == 0 || s[i] != s[i-1] {
			ls = append(ls, 0)
		}
		ls[len(ls)-1]++
	}
	return ls
}

// The sides of a comparison take turns: each warms up, then they alternate
// turns times, and each side's samples come only from its own calls.
func TestSidesTakeTurns(t *testing.T) {
	var log strings.Builder
	side := func(c byte, pause time.Duration) func() error {
		return func() error {
			log.WriteByte(c)
			time.Sleep(pause)
			return nil
		}
	}
	ls := measureLatencies(context.Background(), 20*time.Millisecond, side('a', 0), side('b', time.Millisecond))
	if got, want := runs(log.String()), 2+2*turns; got != want {
		t.Errorf("calls ran in %d runs (%.60q…), want %d: two warm-ups, then %d turns each", got, log.String(), want, turns)
	}
	for i, l := range ls {
		if l.N == 0 || l.Err != "" {
			t.Errorf("side %d: %+v", i, l)
		}
	}
	// Each side's samples are its own turns' calls, the warm-ups (the
	// first two runs) left out.
	var turnCalls [2]int
	if rl := runLengths(log.String()); len(rl) > 2 {
		for i, n := range rl[2:] {
			turnCalls[i%2] += n
		}
	}
	if ls[0].N != turnCalls[0] || ls[1].N != turnCalls[1] || ls[1].P50 < time.Millisecond {
		t.Errorf("samples %d and %d (p50 of the sleeping side %v); want %d and %d, and at least 1ms: samples mixed between the sides",
			ls[0].N, ls[1].N, ls[1].P50, turnCalls[0], turnCalls[1])
	}

	log.Reset()
	ts := measureThroughputs(context.Background(), 10*time.Millisecond, 1,
		func(int) func() error { return side('a', 0) }, func(int) func() error { return side('b', 0) })
	if got, want := runs(log.String()), 2+2*turns; got != want {
		t.Errorf("throughput calls ran in %d runs, want %d", got, want)
	}
	for i, th := range ts {
		if th.N == 0 || th.Err != "" {
			t.Errorf("throughput side %d: %+v", i, th)
		}
	}

	log.Reset()
	once := func(c byte, d time.Duration, err error) func() (time.Duration, error) {
		return func() (time.Duration, error) { log.WriteByte(c); return d, err }
	}
	st := measureStartups(context.Background(), 3, once('a', 1, nil), once('b', 2, nil), once('c', 0, errors.New("no")))
	if log.String() != "abcabab" {
		t.Errorf("startups ran as %q, want abcabab: in turns, a failed side dropped", log.String())
	}
	if st[0].N != 3 || st[0].Median != 1 || st[1].Median != 2 || st[2].Err != "no" || st[2].N != 0 {
		t.Errorf("startups: %+v", st)
	}
}
