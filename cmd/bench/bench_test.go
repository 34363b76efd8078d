package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/rawecho"
	"github.com/uactor-go/uactor/uactor"
)

// TestMain lets this test binary, re-executed, be an actor, a floor's
// child or the pinned worker, as the command's binary is.
func TestMain(m *testing.M) {
	uactor.Main()
	if runChildMode() {
		return
	}
	runIfAsked()
	interruptIfAsked()
	os.Exit(m.Run())
}

func TestPercentile(t *testing.T) {
	us := func(ns ...int) []time.Duration {
		d := make([]time.Duration, len(ns))
		for i, n := range ns {
			d[i] = time.Duration(n) * time.Microsecond
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, c := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{us(7), 50, 7 * time.Microsecond},
		{us(7), 99.9, 7 * time.Microsecond},
		{us(1, 2), 50, 1 * time.Microsecond},
		{us(1, 2, 3, 4), 50, 2 * time.Microsecond},
		{us(1, 2, 3, 4), 75, 3 * time.Microsecond},
		{us(1, 2, 3, 4), 76, 4 * time.Microsecond},
		{us(hundred...), 50, 50 * time.Microsecond},
		{us(hundred...), 99, 99 * time.Microsecond},
		{us(hundred...), 99.9, 100 * time.Microsecond},
		{us(hundred...), 100, 100 * time.Microsecond},
		{us(hundred...), 0.5, 1 * time.Microsecond},
	} {
		if got := percentile(c.sorted, c.p); got != c.want {
			t.Errorf("percentile(%d samples, %v) = %v, want %v", len(c.sorted), c.p, got, c.want)
		}
	}
	// Where p/100·n is whole, the rank is that, though p/100 is not exact
	// in binary: p99.9 of 1000 calls is the 999th, not the slowest.
	for _, n := range []int{1000, 2000, 3000, 41000, 1_000_000} {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i + 1)
		}
		if got, want := percentile(s, 99.9), time.Duration(n/1000*999); got != want {
			t.Errorf("p99.9 of %d samples 1..%d = %d, want %d", n, n, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := []time.Duration{5, 1, 4, 2, 3}
	l := summarize(s, 15)
	if l.N != 5 || l.P50 != 3 || l.P99 != 5 || l.P999 != 5 || l.Max != 5 || l.Mean != 3 {
		t.Errorf("summarize = %+v", l)
	}
	if got := median([]time.Duration{1, 2, 3, 10}); got != 2 {
		t.Errorf("median of 4 = %v, want 2", got)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtDur(1500 * time.Nanosecond), "1.50 µs"},
		{fmtDur(21300 * time.Nanosecond), "21.3 µs"},
		{fmtDur(2500 * time.Microsecond), "2.50 ms"},
		{fmtSize(64), "64 B"},
		{fmtSize(4 << 10), "4 KiB"},
		{fmtSize(1 << 20), "1 MiB"},
		{fmtRate(45100), "45.1 k/s"},
		{ratio(cell{d: 118}, cell{d: 100}, "raw"), "1.18× raw"},
		{ratio(cell{rate: 52}, cell{rate: 100}, "raw"), "0.52× raw"},
		{ratio(cell{rate: 52}, cell{err: true}, "raw"), "—"},
		{tickDur(1e4), "10 µs"},
		{tickRate(5e5), "500 k/s"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestFloors runs the measurement functions for a few milliseconds against
// real children, over each network: the raw ping-pong (reusing its arrays
// and owning each message), the raw multiplexed client and net/rpc.
func TestFloors(t *testing.T) {
	for _, network := range []string{"unix", "tcp"} {
		t.Run(network, func(t *testing.T) { testFloors(t, network) })
	}
}

func testFloors(t *testing.T, network string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var cl cleanups
	defer cl.run()
	f, err := startFloors(ctx, network, t.TempDir(), true, &cl)
	if err != nil {
		t.Fatal(err)
	}
	// As in the suite, a call that never returns ends its measurement
	// (bounded) instead of hanging the test.
	const d = 5 * time.Millisecond
	for _, owning := range []bool{false, true} {
		raw := f.rawConnFor(owning)
		for _, size := range []int{64, 100 << 10} {
			if l := bounded(ctx, d, []net.Conn{raw}, func(ctx context.Context) Latency {
				return measureLatencies(ctx, d, rawecho.Caller(raw, size, owning))[0]
			}); l.Err != "" || l.N == 0 {
				t.Errorf("raw %d B, owning %v: %+v", size, owning, l)
			}
			if l := bounded(ctx, d, []net.Conn{f.rpcConn}, func(ctx context.Context) Latency {
				return measureLatencies(ctx, d, rpcCall(f.rpc, make([]byte, size), owning))[0]
			}); l.Err != "" || l.N == 0 {
				t.Errorf("net/rpc %d B, owning %v: %+v", size, owning, l)
			}
		}
	}
	conn, err := f.raw.dial()
	if err != nil {
		t.Fatal(err)
	}
	mux, err := newMuxClient(conn, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer mux.Close()
	th := bounded(ctx, d, []net.Conn{conn}, func(ctx context.Context) Throughput {
		return measureThroughputs(ctx, d, 16, func(i int) func() error { return func() error { return mux.call(i) } })[0]
	})
	if th.Err != "" || th.N == 0 {
		t.Errorf("raw mux: %+v", th)
	}
	mux.Close()
	if err := mux.call(0); err == nil {
		t.Error("call on a closed mux client succeeded")
	}
}

// TestStall checks that a call that never returns costs one measurement,
// not the run.
func TestStall(t *testing.T) {
	defer func(d time.Duration) { stallTimeout = d }(stallTimeout)
	stallTimeout = 50 * time.Millisecond
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	stuck := func() error { // a request nobody answers
		var buf [1]byte
		_, err := a.Read(buf[:])
		return err
	}
	l := bounded(context.Background(), time.Millisecond, []net.Conn{a}, func(ctx context.Context) Latency {
		return measureLatencies(ctx, time.Millisecond, stuck)[0]
	})
	if !strings.HasPrefix(l.Err, "stalled") {
		t.Errorf("latency of a stuck call: %+v", l)
	}
	th := bounded(context.Background(), time.Millisecond, nil, func(ctx context.Context) Throughput {
		return measureThroughputs(ctx, time.Millisecond, 4, func(int) func() error {
			return func() error { <-ctx.Done(); return ctx.Err() }
		})[0]
	})
	if !strings.HasPrefix(th.Err, "stalled") {
		t.Errorf("throughput of stuck calls: %+v", th)
	}
}

// TestStallCostsOneMeasurement checks that a stall of ours costs the
// floors measured beside it that one row: the next row's floors are
// dialled anew (a stall leaves their connections failing: a deadline in
// the past, the raw stream perhaps cut mid-message, the net/rpc client
// shut down) and measure as before.
func TestStallCostsOneMeasurement(t *testing.T) {
	defer func(d time.Duration) { stallTimeout = d }(stallTimeout)
	stallTimeout = 50 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var cl cleanups
	defer cl.run()
	f, err := startFloors(ctx, "unix", t.TempDir(), false, &cl)
	if err != nil {
		t.Fatal(err)
	}
	const d = 20 * time.Millisecond
	req := make([]byte, 64)
	measureRow := func(ours func(ctx context.Context) func() error) []Latency {
		rawConn := f.rawConnFor(false) // as the suite takes them, row by row
		ls, _, err := boundedFloors(ctx, 3*d, f, nil, &cl, func(ctx context.Context) []Latency {
			return measureLatencies(ctx, d, ours(ctx), rawecho.Caller(rawConn, 64, false), rpcCall(f.rpc, req, false))
		})
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}
	calls := 0
	stalling := func(ctx context.Context) func() error { // ours: fine for a while, then no reply
		return func() error {
			if calls++; calls > 50 {
				<-ctx.Done()
				return ctx.Err()
			}
			return nil
		}
	}
	fine := func(context.Context) func() error { return func() error { return nil } }

	first := measureRow(stalling)
	t.Logf("row that stalled: ours %q, raw %q (n=%d), net/rpc %q (n=%d)", first[0].Err, first[1].Err, first[1].N, first[2].Err, first[2].N)
	// The next row has all the time a loaded machine may need: its floors
	// fail only if their connections still do.
	stallTimeout = time.Minute
	next := measureRow(fine)
	for i, who := range []string{"raw", "net/rpc"} {
		if l := next[i+1]; l.Err != "" || l.N == 0 {
			t.Errorf("the next row's %s floor, after one stall: n=%d, %s", who, l.N, l.Err)
		}
	}
}

// TestQuickRun runs the whole command with tiny durations, both
// placements, and checks the shape of what it writes, and that it leaves
// no child process behind. It asserts nothing about timings.
func TestQuickRun(t *testing.T) {
	// Nor about how long a call may take: on a loaded machine, under the
	// race detector, the same-core placement's one CPU is shared with other
	// work, and a 1 MiB row's warm-up can outlast the default stall bound.
	// Only a call that never returns should fail the run.
	defer func(d time.Duration) { stallTimeout = d }(stallTimeout)
	stallTimeout = time.Minute
	dir := t.TempDir()
	jsonPath, svgPath := filepath.Join(dir, "b.json"), filepath.Join(dir, "b.svg")
	var out, errb bytes.Buffer
	if code := run([]string{"-quick", "-duration=5ms", "-json", jsonPath, "-svg", svgPath}, &out, &errb); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
	}

	var rep Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Placements) != 2 {
		t.Fatalf("%d placements, want 2", len(rep.Placements))
	}
	// One row per figure: each transport × payload × 4 figures, each concurrency, 2 spawns.
	perPlacement := len(transports)*len(payloads)*4 + len(callers) + 2
	measured := 0 // placements not skipped (one is, where this process may use one CPU only)
	for _, p := range rep.Placements {
		rows := strings.Count(out.String(), "\n| "+p.Placement)
		if p.Skipped != "" {
			t.Logf("%s skipped: %s", p.Placement, p.Skipped)
			if rows != 1 {
				t.Errorf("%s: %d rows for a skipped placement, want 1", p.Placement, rows)
			}
			continue
		}
		measured++
		if rows != perPlacement {
			t.Errorf("%s: %d rows, want %d", p.Placement, rows, perPlacement)
		}
		if p.Err != "" {
			t.Errorf("%s: %s", p.Placement, p.Err)
		}
		if p.Placement == sameCore && (p.CPU < 0 || p.GOMAXPROCS != 1) {
			t.Errorf("same core: CPU %d, GOMAXPROCS %d", p.CPU, p.GOMAXPROCS)
		}
		if len(p.Sequential) != len(transports)*len(payloads) || len(p.Concurrency) != len(callers) {
			t.Errorf("%s: %d sequential, %d concurrency results", p.Placement, len(p.Sequential), len(p.Concurrency))
		}
		for _, s := range p.Sequential {
			for _, l := range []Latency{s.Ours, s.Raw, s.RPC} {
				if l.Err != "" || l.N == 0 {
					t.Errorf("%s %s %d B: %+v", p.Placement, s.Transport, s.Payload, l)
				}
			}
			// The actor's count is read from its process: a 1 MiB request
			// arrives in an array of its own every call.
			if s.Payload >= 1<<20 && s.Ours.ActorAllocs < 1 {
				t.Errorf("%s %s %d B: %.2f allocations a call in the actor; want at least 1", p.Placement, s.Transport, s.Payload, s.Ours.ActorAllocs)
			}
		}
		for _, c := range p.Concurrency {
			for _, th := range []Throughput{c.Ours, c.Raw, c.RPC} {
				if th.Err != "" || th.N == 0 {
					t.Errorf("%s %d callers: %+v", p.Placement, c.Callers, th)
				}
			}
		}
		sp := p.Spawn
		if sp.Ours.Err != "" || sp.Raw.Err != "" || sp.Standby.Err != "" || sp.StandbyRaw.Err != "" ||
			sp.Ours.N != quickSpawns || sp.Standby.N != quickSpawns || sp.StandbyRaw.N != quickSpawns {
			t.Errorf("%s spawn: %+v", p.Placement, p.Spawn)
		}
	}
	if !strings.Contains(out.String(), "Legend:") {
		t.Error("no legend under the table")
	}

	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(svg))
	rects := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	if measured == 0 || rects < measured*(3*9+4*3) { // every bar of each placement measured, whatever the legend and background add
		t.Errorf("SVG has %d rects for %d placements measured", rects, measured)
	}

	if kids := children(os.Getpid()); len(kids) > 0 {
		t.Errorf("child processes left behind: %v", kids)
	}
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var kids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, n)
		}
	}
	return kids
}

// TestCannotRunSaysSo runs the command where it cannot start its floors
// (no directory for their sockets): the failure must reach stderr and the
// exit code, and the table must not show figures it never measured.
func TestCannotRunSaysSo(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	var out, errb bytes.Buffer
	code := run([]string{"-quick", "-duration=5ms", "-placement", "free", "-json", "", "-svg", ""}, &out, &errb)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "free") || !strings.Contains(errb.String(), "missing") {
		t.Errorf("stderr does not say what failed:\n%s", errb.String())
	}
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "| free |") && strings.Contains(line, "| 0 |") {
			t.Errorf("a figure never measured shows as 0: %s", line)
		}
	}
	if kids := children(os.Getpid()); len(kids) > 0 {
		t.Errorf("child processes left behind: %v", kids)
	}
}
