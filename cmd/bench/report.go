package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Report is everything one run measured: what bench.json holds.
type Report struct {
	Started     time.Time         `json:"started"`
	Go          string            `json:"go"`
	Platform    string            `json:"platform"`
	CPUs        int               `json:"cpus"`
	Duration    string            `json:"duration_per_measurement"`
	Spawns      int               `json:"spawn_samples"`
	Quick       bool              `json:"quick"`
	RawMux      string            `json:"raw_mux_writes"`
	Placements  []PlacementResult `json:"placements"`
	ElapsedSecs float64           `json:"elapsed_s"`
}

// progress prints one line per measurement: what, where, then the result.
type progress struct {
	w         io.Writer
	placement string
}

func (p *progress) start(transport string, size int, what, who string) {
	fmt.Fprintf(p.w, "%-9s  %-10s %5s  %-24s %-7s  ", p.placement, transport, fmtSize(size), what, who)
}

// report writes the line of one measurement.
func (p *progress) report(transport string, size int, what, who string, v fmt.Stringer) {
	p.start(transport, size, what, who)
	fmt.Fprintln(p.w, v)
}

// writeJSON writes r to the file named path.
func writeJSON(path string, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// cell is one figure of the table: a value, and whether it is a rate
// (higher is better) or a time (lower is better).
type cell struct {
	d    time.Duration
	rate float64
	few  bool // a percentile from too few samples
	err  bool
	na   bool // not measured for this row
}

func (c cell) String() string {
	switch {
	case c.na:
		return "—"
	case c.err:
		return "error"
	case c.rate > 0:
		return fmtRate(c.rate)
	}
	s := fmtDur(c.d)
	if c.few {
		s += "\\*"
	}
	return s
}

// ratio is ours against floor, named as in "1.18× raw".
func ratio(ours, floor cell, name string) string {
	switch {
	case ours.na || floor.na || ours.err || floor.err:
		return "—"
	case ours.rate > 0 && floor.rate > 0:
		return fmt.Sprintf("%.2f× %s", ours.rate/floor.rate, name)
	case ours.d > 0 && floor.d > 0:
		return fmt.Sprintf("%.2f× %s", float64(ours.d)/float64(floor.d), name)
	}
	return "—"
}

// latencyCells are the figures of one sequential measurement: p50, p99, p99.9, calls/s.
func latencyCells(l Latency) [4]cell {
	bad := l.Err != "" && l.N == 0
	return [4]cell{
		{d: l.P50, err: bad},
		{d: l.P99, err: bad, few: l.N < 100},
		{d: l.P999, err: bad, few: l.N < 1000},
		{rate: l.PerSec, err: bad},
	}
}

// noteErr is a measurement's error, for the notes under the table.
type noteErr struct{ who, err string }

var figureNames = [4]string{"p50", "p99", "p99.9", "calls/s"}

// writeTable writes the markdown table of r, its legend and notes, to w.
func writeTable(w io.Writer, r *Report) {
	fmt.Fprintf(w, "## uactor IPC benchmark\n\n%s %s, %d CPUs, %s per measurement, spawn figures the median of %d, %s.\n\n",
		r.Go, r.Platform, r.CPUs, r.Duration, r.Spawns, r.Started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(w, "| placement | transport | payload | what | ours | raw floor | ×raw | net/rpc | ×net/rpc | allocs/call ours (caller, actor) / net/rpc |")
	fmt.Fprintln(w, "| --- | --- | --: | --- | --: | --: | --: | --: | --: | --: |")
	row := func(place, transport, payload, what string, ours, raw, rpc cell, allocs string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", place, transport, payload, what,
			ours, raw, ratio(ours, raw, "raw"), rpc, ratio(ours, rpc, "net/rpc"), allocs)
	}
	var notes []string
	for _, p := range r.Placements {
		place := p.Placement
		if p.CPU >= 0 {
			place = fmt.Sprintf("%s (CPU %d)", p.Placement, p.CPU)
		}
		if p.Skipped != "" {
			fmt.Fprintf(w, "| %s | — | — | skipped | — | — | — | — | — | — |\n", p.Placement)
			notes = append(notes, fmt.Sprintf("%s: skipped: %s.", p.Placement, p.Skipped))
			continue
		}
		if p.Err != "" {
			notes = append(notes, fmt.Sprintf("%s: %s.", p.Placement, p.Err))
		}
		for _, s := range p.Sequential {
			o, rw, rp := latencyCells(s.Ours), latencyCells(s.Raw), latencyCells(s.RPC)
			for i, name := range figureNames {
				allocs := ""
				if i == 3 {
					allocs = fmt.Sprintf("%.2f, %.2f / %.2f", s.Ours.Allocs, s.Ours.ActorAllocs, s.RPC.Allocs)
				}
				row(place, s.Transport, fmtSize(s.Payload), name, o[i], rw[i], rp[i], allocs)
			}
			for _, e := range []noteErr{{"ours", s.Ours.Err}, {"raw", s.Raw.Err}, {"net/rpc", s.RPC.Err}} {
				if e.err != "" {
					notes = append(notes, fmt.Sprintf("%s, %s %s, %s: %s", p.Placement, s.Transport, fmtSize(s.Payload), e.who, e.err))
				}
			}
		}
		for _, c := range p.Concurrency {
			cellOf := func(t Throughput) cell { return cell{rate: t.PerSec, err: t.Err != "" && t.N == 0} }
			row(place, "unix", fmtSize(64), "calls/s, "+plural(c.Callers, "caller"),
				cellOf(c.Ours), cellOf(c.Raw), cellOf(c.RPC), fmt.Sprintf("%.2f / %.2f", c.Ours.Allocs, c.RPC.Allocs))
			for _, e := range []noteErr{{"ours", c.Ours.Err}, {"raw mux", c.Raw.Err}, {"net/rpc", c.RPC.Err}} {
				if e.err != "" {
					notes = append(notes, fmt.Sprintf("%s, %s, %s: %s", p.Placement, plural(c.Callers, "caller"), e.who, e.err))
				}
			}
		}
		startCell := func(s Startup) cell { return cell{d: s.Median, err: s.Err != "", na: s.N == 0 && s.Err == ""} }
		row(place, "unix", fmtSize(64), "spawn → first reply",
			startCell(p.Spawn.Ours), startCell(p.Spawn.Raw), cell{na: true}, "—")
		row(place, "unix", fmtSize(64), "spawn → first reply, standby",
			startCell(p.Spawn.Standby), startCell(p.Spawn.StandbyRaw), cell{na: true}, "—")
		for _, e := range []noteErr{{"ours", p.Spawn.Ours.Err}, {"raw", p.Spawn.Raw.Err},
			{"ours, standby", p.Spawn.Standby.Err}, {"raw, beside standby", p.Spawn.StandbyRaw.Err}} {
			if e.err != "" {
				notes = append(notes, fmt.Sprintf("%s, spawn, %s: %s", p.Placement, e.who, e.err))
			}
		}
	}
	fmt.Fprint(w, legend(r))
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range notes {
			fmt.Fprintln(w, "- "+n)
		}
	}
}

// legend says what the table's columns and rows mean.
func legend(r *Report) string {
	var b strings.Builder
	b.WriteString("\nLegend:\n")
	for _, l := range []string{
		"**ours**: uactor, `Method.Call` of a `[]byte` echo on a spawned actor; one ref, so one connection: on the unix rows the owner's ref (its private socketpair), on the tcp rows a ref from `Connect` to the actor's TCP address. " +
			"*unix, lent*: the same over the owner's socket, with the request a `uactor.Lent` (the handler borrows it) and each response given back with `uactor.Recycle`. " +
			"*unix, floors own* and *tcp plain, floors own*: the unix and tcp plain rows' calls again (each its own actor), beside floors that own what they receive as ours do (below).",
		"**raw floor**: the same transport with no library: a child process (this binary, re-executed) echoing " +
			"[4-byte big-endian length][payload]. Sequential rows: one write, then one read of the reply, " +
			"blocking in Go's poller (ours spins or yields first, so it can go below this floor). " +
			"Concurrency rows (raw multiplexed): the callers share one connection, each request tagged with its " +
			"caller's id, " + r.RawMux + ", one reader goroutine dispatches replies. " +
			"Spawn row: re-executing this binary until it writes one byte on a pipe. " +
			"On the *floors own* rows both ends read each message into a new array, as a receiver that keeps it must, " +
			"where elsewhere each reads into one array it reuses.",
		"**net/rpc**: the standard library's net/rpc (gob), `Echo([]byte) []byte`, server in a child process, " +
			"one client connection, shared by all callers on the concurrency rows. Its client decodes each reply " +
			"into the last one's array, except on the *floors own* rows, where each gets a new one.",
		"**TCP rows**: the floors are plain TCP on 127.0.0.1 (neither raw nor net/rpc seals), measured beside " +
			"each tcp row.",
		"**in turns**: each row's ours, raw and net/rpc warm up, then take turns, alternating, " + fmt.Sprint(turns) +
			" each, the row's time split among them; spawns alternate one by one. Whatever else the machine does " +
			"meanwhile falls on all of them alike.",
		"**×raw, ×net/rpc** = ours ÷ floor. On time rows (p50, p99, p99.9, spawn) \"1.18× raw\" means ours takes " +
			"1.18 times as long as raw (lower is better; 1.00× is the floor). On calls/s rows \"0.52× raw\" means ours " +
			"completes 0.52 times as many calls per second as raw (higher is better).",
		"**p50, p99, p99.9**: nearest-rank percentiles of the calls timed one by one; \\* marks one taken from too " +
			"few calls (p99 from < 100, p99.9 from < 1000: it is the slowest call or close to it). Counts are in the JSON.",
		"**calls/s**: sequential rows, with one call in flight; concurrency rows, N goroutines calling at once on one connection.",
		"**allocs/call**: heap allocations per call in the calling process (runtime.MemStats.Mallocs delta ÷ calls), ours / net/rpc; " +
			"sequential rows give ours in the actor's process too (its own count, read by a call before and after), warm-up calls included.",
		"**spawn → first reply**: median time from `uactor.Spawn` to the reply of a first 64 B call (Close not timed). " +
			"*standby*: the same with a process waiting to become the actor (`uactor.Standby(ctx, 1)`, not timed; " +
			"the standby that replaces it is ended before the next sample), in turns with raw re-execs of its own.",
		"**placements**: *same core*: the measuring process and every process it starts pinned to one CPU " +
			"(sched_setaffinity on the thread that forks it, inherited; GOMAXPROCS 1); *free*: unpinned. " +
			"On a small VM, waking an idle core costs tens of µs, so free figures are often bimodal.",
	} {
		b.WriteString("- " + l + "\n")
	}
	return b.String()
}

// plural is "1 caller", "8 callers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// fmtDur is a latency in a table: three significant figures, about.
func fmtDur(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	v, unit := scaled(float64(d), durUnits)
	digits := 2
	switch {
	case unit == "ns":
		digits = 0
	case unit == "µs" && v >= 10:
		digits = 1
	}
	return fmt.Sprintf("%.*f %s", digits, v, unit)
}

// fmtRate is a throughput in a table: "45.1 k/s".
func fmtRate(r float64) string {
	v, unit := scaled(r, rateUnits)
	digits := 0
	switch unit {
	case "M":
		digits = 2
	case "k":
		digits = 1
	}
	return fmt.Sprintf("%.*f %s/s", digits, v, unit)
}

func fmtSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
