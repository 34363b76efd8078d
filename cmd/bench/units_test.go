package main

import (
	"testing"
	"time"
)

// The table's and the chart's formatters of a quantity change unit at the
// same values, each with its own precision.
func TestUnits(t *testing.T) {
	for _, c := range []struct {
		ns        float64
		dur, tick string
	}{
		{0, "0", "0 ns"},
		{640, "640 ns", "640 ns"},
		{1500, "1.50 µs", "1.5 µs"},
		{2.5e6, "2.50 ms", "2.5 ms"},
		{3e9, "3.00 s", "3 s"},
	} {
		if got := fmtDur(time.Duration(c.ns)); got != c.dur {
			t.Errorf("fmtDur(%v) = %q, want %q", c.ns, got, c.dur)
		}
		if got := tickDur(c.ns); got != c.tick {
			t.Errorf("tickDur(%v) = %q, want %q", c.ns, got, c.tick)
		}
	}
	for _, c := range []struct {
		r                 float64
		rate, tick, short string
	}{
		{0, "0 /s", "0", "0"},
		{12, "12 /s", "12 /s", "12"},
		{45100, "45.1 k/s", "45.1 k/s", "45k"},
		{1.04e6, "1.04 M/s", "1.04 M/s", "1.04M"},
	} {
		if got := fmtRate(c.r); got != c.rate {
			t.Errorf("fmtRate(%v) = %q, want %q", c.r, got, c.rate)
		}
		if got := tickRate(c.r); got != c.tick {
			t.Errorf("tickRate(%v) = %q, want %q", c.r, got, c.tick)
		}
		if got := shortRate(c.r); got != c.short {
			t.Errorf("shortRate(%v) = %q, want %q", c.r, got, c.short)
		}
	}
}
