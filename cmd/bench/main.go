// Command bench measures uactor's calls between processes, each figure
// beside its floors, measured in the same run:
//
//   - sequential round trips (p50, p99, p99.9, calls/s) of 64 B, 4 KiB and
//     1 MiB []byte echoes over a Unix socket, sealed TCP and plain TCP, and
//     over the Unix socket with lent requests (uactor.Lent) and recycled
//     responses, and over the Unix socket and plain TCP again beside floors
//     that, like ours, read each message they receive into a new array;
//   - calls/s of 1, 8, 64 and 256 concurrent callers on one connection;
//   - the time from Spawn to the first reply;
//   - heap allocations per call in the calling process, and per sequential
//     call in the actor's.
//
// The floors are a raw length-prefixed ping-pong with no library (and its
// multiplexed form for concurrent callers), net/rpc from the standard
// library over the same transport, and a bare re-exec for spawning; their
// servers run in child processes (this binary, re-executed). Each figure
// and its floors are measured in turns, alternating, so that the machine's
// other work falls on them alike.
//
// Every figure is measured in two placements: "same core", where the
// measuring process and all its children are pinned to one CPU, and
// "free", unpinned.
//
// Usage:
//
//	go run ./cmd/bench            # everything, both placements: the longest mode
//	go run ./cmd/bench -quick     # the same table from fewer iterations, rougher
//
// The flags are:
//
//	-duration d     time per measurement (default 450ms; 40ms with -quick)
//	-quick          fewer iterations (5 spawns, 40ms a measurement): rougher
//	-placement p    all, samecore or free (default all); where same core
//	                cannot be had (one CPU only), all skips it and samecore
//	                fails
//	-json file      write every result as JSON (default bench.json; "" for none)
//	-svg file       write a chart of latency and throughput (default bench.svg; "" for none)
//
// The table goes to stdout as markdown; progress, one line per
// measurement, goes to stderr. The exit code is 1 if a placement stopped
// short or, asked for by name, could not run (why is on stderr and under
// the table), 130 if interrupted. A second interrupt ends it at once,
// without its table or files.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func main() {
	uactor.Main() // in a spawned actor, this runs the actor and never returns
	if runChildMode() {
		return // a floor's child or the pinned worker; they exit on their own
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is what a placement's suite needs to know; the pinned worker gets
// it as JSON.
type config struct {
	Duration time.Duration `json:"duration"`
	Spawns   int           `json:"spawns"`
	Stall    time.Duration `json:"stall,omitempty"` // stallTimeout, for the pinned worker
}

const (
	defaultDuration = 450 * time.Millisecond
	quickDuration   = 40 * time.Millisecond
	defaultSpawns   = 100
	quickSpawns     = 5
)

// run is the command, from its arguments to its exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", defaultDuration, fmt.Sprintf("time per measurement; -quick makes it %v unless this is given", quickDuration))
	quick := fs.Bool("quick", false, fmt.Sprintf("fewer iterations (%d spawns, %v a measurement): the same table, rougher", quickSpawns, quickDuration))
	placement := fs.String("placement", "all", "placements to measure: all, samecore or free; where same core cannot be had\n"+
		"(this process may use one CPU only), all skips it and samecore fails with exit code 1")
	jsonPath := fs.String("json", "bench.json", `write all results as JSON to this file ("" for none)`)
	svgPath := fs.String("svg", "bench.svg", `write an SVG chart to this file ("" for none)`)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bench [flags]\n\nMeasures uactor calls beside raw-socket and net/rpc floors; the table goes to stdout.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	cfg := config{Duration: *duration, Spawns: defaultSpawns, Stall: stallTimeout}
	if *quick {
		cfg.Spawns = quickSpawns
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "duration" })
		if !explicit {
			cfg.Duration = quickDuration
		}
	}
	if cfg.Duration <= 0 {
		fmt.Fprintln(stderr, "bench: -duration must be positive")
		return 2
	}
	var places []string
	switch *placement {
	case "all":
		places = []string{sameCore, free}
	case "samecore":
		places = []string{sameCore}
	case "free":
		places = []string{free}
	default:
		fmt.Fprintf(stderr, "bench: -placement %q: want all, samecore or free\n", *placement)
		return 2
	}

	ctx, stop := interruptible(os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep := &Report{
		Started:  time.Now(),
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
		CPUs:     runtime.NumCPU(),
		Duration: cfg.Duration.String(),
		Spawns:   cfg.Spawns,
		Quick:    *quick,
		RawMux:   muxWrites,
	}
	failed := false // a placement stopped short: the run did not measure what it says
	for _, p := range places {
		if ctx.Err() != nil {
			break
		}
		var res PlacementResult
		if p == sameCore {
			res = runSameCore(ctx, cfg, stderr)
		} else {
			res = runSuite(ctx, cfg, free, stderr)
		}
		switch {
		case res.Skipped != "" && *placement == "all":
			fmt.Fprintf(stderr, "%-9s  skipped: %s\n", p, res.Skipped)
		case res.Skipped != "":
			// Asked for by name, it is what the run was for: a run that
			// measured nothing must not exit 0.
			fmt.Fprintf(stderr, "%-9s  cannot run: %s\n", p, res.Skipped)
			failed = true
		}
		if res.Err != "" {
			fmt.Fprintf(stderr, "%-9s  stopped short: %s\n", p, res.Err)
			failed = true
		}
		rep.Placements = append(rep.Placements, res)
	}
	rep.ElapsedSecs = time.Since(rep.Started).Seconds()

	writeTable(stdout, rep)
	code := 0
	if failed {
		code = 1
	}
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, rep); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			code = 1
		}
	}
	if *svgPath != "" {
		if err := os.WriteFile(*svgPath, chart(rep), 0o644); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			code = 1
		}
	}
	fmt.Fprintf(stderr, "done in %.1fs; wrote %s\n", rep.ElapsedSecs, written(*jsonPath, *svgPath))
	if ctx.Err() != nil {
		return 130
	}
	return code
}

// written names the files written, for the last line of progress.
func written(paths ...string) string {
	s := ""
	for _, p := range paths {
		if p != "" {
			if s != "" {
				s += ", "
			}
			s += p
		}
	}
	if s == "" {
		return "no files"
	}
	return s
}
