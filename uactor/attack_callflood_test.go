package uactor_test

// A flood of calls and cancels, against an actor hosted in this process so
// that the test sees its handlers and goroutines.

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Gauge is a test actor that counts its Block handlers running at once and
// the most that ever did.
type Gauge struct {
	running, peak, started atomic.Int64
}

func (g *Gauge) Block(ctx context.Context, d time.Duration) (bool, error) {
	n := g.running.Add(1)
	defer g.running.Add(-1)
	g.started.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-t.C:
		return true, nil
	}
}

func (g *Gauge) Ping(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	return uactor.Empty{}, nil
}

var (
	GaugeKind = uactor.Define("attack-gauge", func(ctx context.Context, _ uactor.Empty) (*Gauge, error) {
		return &Gauge{}, nil
	})
	GaugeBlock = uactor.Expose(GaugeKind, "block", (*Gauge).Block)
	GaugePing  = uactor.Expose(GaugeKind, "ping", (*Gauge).Ping)
)

// 5000 pairs of (CALL block(10s), CANCEL) as fast as a peer can send them,
// to an actor allowing 64 calls in flight: never more than 64 handlers run,
// every call is answered, and the actor serves others meanwhile.
func TestAttackCancelFlood(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	g := &Gauge{}
	r := host(t, ctx, GaugeKind, g, plain(uactor.MaxInFlight(64))...)
	if _, err := GaugePing.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	stopSampling := peakGoroutines()
	const ours = 3 // the sampler, the answer reader, the other caller

	const pairs = 5000
	conn := authenticated(t, r.Address(), plainKey, 0)
	rd := frame.NewReader(conn, 0)
	answers := make(chan tally, 1)
	go func() { answers <- readAnswers(conn, rd, pairs) }()

	// Another caller, on its own connection, throughout the flood.
	flooding := make(chan struct{})
	otherErr := make(chan error, 1)
	var others atomic.Int64
	go func() {
		for {
			select {
			case <-flooding:
				otherErr <- nil
				return
			default:
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := GaugePing.Call(cctx, r, uactor.Empty{})
			cancel()
			if err != nil {
				otherErr <- err
				return
			}
			others.Add(1)
			time.Sleep(2 * time.Millisecond)
		}
	}()

	w := frame.NewWriter(conn, 0)
	req := append([]byte("\x00\x05block"), wire.AppendVarint(nil, int64(10*time.Second))...)
	start := time.Now()
	for id := uint64(1); id <= pairs; id++ {
		if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, req); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteFrame(frame.Header{Type: frame.TypeCancel, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	sendTime := time.Since(start)
	n := receive(t, answers, 40*time.Second, "not all the flood's answers came")
	answerTime := time.Since(start)
	close(flooding)
	if err := <-otherErr; err != nil {
		t.Errorf("another caller during the flood: %v", err)
	}
	peak := stopSampling()
	t.Logf("%d pairs sent in %v, all answered in %v: %d replies, %d busy, %d cancelled, %d other (%v)",
		pairs, sendTime, answerTime, n.replies, n.busy, n.cancelled, n.other, n.err)
	t.Logf("handlers started %d, at most %d at once; goroutines %d before, %d at the peak (%d the test's); %d other calls served meanwhile",
		g.started.Load(), g.peak.Load(), base, peak, ours, others.Load())
	if n.err != nil || n.other != 0 {
		t.Errorf("answers: %+v", n)
	}
	if p := g.peak.Load(); p > 64 {
		t.Errorf("%d Block handlers ran at once; MaxInFlight is 64", p)
	}
	if growth := peak - base - ours; growth > 2*64+32 {
		t.Errorf("goroutines grew by %d under a flood bounded to 64 calls in flight", growth)
	}
	if others.Load() == 0 {
		t.Error("no other call was served during the flood")
	}
	for end := time.Now().Add(5 * time.Second); g.running.Load() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d handlers still running 5 s after the flood", g.running.Load())
		}
	}

	// The same peer now sends 500 calls and no cancels: exactly 64 handlers
	// run, the rest are refused as busy; then it cancels them all.
	g.peak.Store(0)
	const calls2 = 500
	busy := make(chan tally, 1)
	go func() { busy <- readAnswers(conn, rd, calls2-64) }()
	for id := uint64(pairs + 1); id <= pairs+calls2; id++ {
		if err := w.WriteFrame(frame.Header{Type: frame.TypeCall, ID: id}, req); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-busy; n.busy != calls2-64 || n.err != nil {
		t.Fatalf("%d calls without cancels, 64 allowed in flight: %+v; want %d busy", calls2, n, calls2-64)
	}
	for end := time.Now().Add(5 * time.Second); g.running.Load() != 64; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d handlers running; want the 64 in flight", g.running.Load())
		}
	}
	if _, err := GaugePing.Call(ctx, r, uactor.Empty{}); err != nil {
		t.Fatalf("another connection while one holds its 64 calls: %v", err)
	}
	go func() { busy <- readAnswers(conn, rd, 64) }()
	for id := uint64(pairs + 1); id <= pairs+calls2; id++ {
		w.WriteFrame(frame.Header{Type: frame.TypeCancel, ID: id})
	}
	if n := <-busy; n.cancelled != 64 || n.err != nil {
		t.Fatalf("cancelling the 64 in flight: %+v", n)
	}
	t.Logf("500 calls without cancels: %d handlers at most at once", g.peak.Load())
	if p := g.peak.Load(); p != 64 {
		t.Errorf("%d Block handlers ran at once; want exactly the bound, 64", p)
	}
	for end := time.Now().Add(5 * time.Second); g.running.Load() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d handlers still running 5 s after their cancels", g.running.Load())
		}
	}
}
