package uactor_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Acceptance checks of the package's promises on calls and messages,
// written against the public API only, as a program using the library would.

// accActor meets calls with each other, counts how many run at once, and
// echoes what it is sent.
type accActor struct {
	mu      sync.Mutex
	meet    map[string]chan struct{} // per rendezvous name: closed when the second call arrives
	running atomic.Int64
	most    atomic.Int64
	started chan struct{} // a Block has started
	ended   chan error    // a blocked handler's ctx.Err(), once its context ended
}

func newAcc() *accActor {
	return &accActor{meet: map[string]chan struct{}{}, started: make(chan struct{}, 1), ended: make(chan error, 1)}
}

func newAccActor(context.Context, uactor.Empty) (*accActor, error) { return newAcc(), nil }

// Meet waits for the other call of the same name: each of the two waits on
// the other, so both return only if they run at once.
func (a *accActor) Meet(ctx context.Context, name string) (string, error) {
	a.mu.Lock()
	ch, ok := a.meet[name]
	if !ok {
		ch = make(chan struct{})
		a.meet[name] = ch
	} else {
		close(ch)
		delete(a.meet, name)
	}
	a.mu.Unlock()
	select {
	case <-ch:
		return name + " met", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Hold runs for d, counting how many Holds run at once.
func (a *accActor) Hold(ctx context.Context, d time.Duration) (int64, error) {
	n := a.running.Add(1)
	defer a.running.Add(-1)
	for m := a.most.Load(); n > m && !a.most.CompareAndSwap(m, n); m = a.most.Load() {
	}
	time.Sleep(d)
	return a.most.Load(), nil
}

// Block waits for its context to end, and says how it ended.
func (a *accActor) Block(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	a.started <- struct{}{}
	<-ctx.Done()
	a.ended <- ctx.Err()
	return uactor.Empty{}, ctx.Err()
}

// Started waits until a Block has started.
func (a *accActor) Started(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	select {
	case <-a.started:
		return uactor.Empty{}, nil
	case <-ctx.Done():
		return uactor.Empty{}, ctx.Err()
	}
}

// Ended returns how the last Block's context ended.
func (a *accActor) Ended(ctx context.Context, _ uactor.Empty) (string, error) {
	select {
	case err := <-a.ended:
		return fmt.Sprint(err), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

var (
	accErrNotFound = uactor.RegisterError("uactor_test.acc.NotFound", errors.New("not found"))
	accErrDenied   = uactor.RegisterError("uactor_test.acc.Denied", errors.New("denied"))

	// AccKind's server interceptor refuses calls whose metadata says
	// deny=yes, and answers "intercepted" for a call whose metadata asks
	// it to, with what it saw of the call's context.
	AccKind = uactor.Define("acc-calls", newAccActor, uactor.ServerInterceptors(
		func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
			if v, _ := uactor.MetadataFrom(ctx, "deny"); v == "yes" {
				return nil, fmt.Errorf("interceptor of %s: %w", info.Method, accErrDenied)
			}
			if v, _ := uactor.MetadataFrom(ctx, "peek"); v == "yes" && info.Method == "acc meta" {
				_, ok := ctx.Deadline()
				return fmt.Sprintf("intercepted %s deadline=%v", info.Kind, ok), nil
			}
			return handle(ctx, req)
		}))
	AccMeet    = uactor.Expose(AccKind, "acc meet", (*accActor).Meet)
	AccHold    = uactor.Expose(AccKind, "acc hold", (*accActor).Hold)
	AccBlock   = uactor.Expose(AccKind, "acc block", (*accActor).Block)
	AccEnded   = uactor.Expose(AccKind, "acc ended", (*accActor).Ended)
	AccStarted = uactor.Expose(AccKind, "acc started", (*accActor).Started)
	AccPanic   = uactor.Expose(AccKind, "acc panic", func(_ *accActor, _ context.Context, v string) (uactor.Empty, error) {
		panic("acc: " + v)
	})
	AccFail = uactor.Expose(AccKind, "acc fail", func(_ *accActor, _ context.Context, how string) (uactor.Empty, error) {
		switch how {
		case "plain":
			return uactor.Empty{}, errors.New("plain failure")
		case "sentinel":
			return uactor.Empty{}, accErrNotFound
		case "wrapped":
			return uactor.Empty{}, fmt.Errorf("lookup %q: %w", "k", accErrNotFound)
		case "joined":
			return uactor.Empty{}, errors.Join(errors.New("first"), fmt.Errorf("second: %w", accErrNotFound))
		case "deadline":
			return uactor.Empty{}, fmt.Errorf("gave up: %w", context.DeadlineExceeded)
		}
		return uactor.Empty{}, nil
	})
	AccMeta = uactor.Expose(AccKind, "acc meta", func(_ *accActor, ctx context.Context, key string) (string, error) {
		v, ok := uactor.MetadataFrom(ctx, key)
		d, hasD := ctx.Deadline()
		return fmt.Sprintf("%s %v %v %d", v, ok, hasD, d.UnixNano()), nil
	})
	// AccRefEcho returns the holder it got, after calling the ref inside it.
	AccRefEcho = uactor.Expose(AccKind, "acc ref echo", func(_ *accActor, ctx context.Context, h accHolder) (accHolder, error) {
		if h.Name == "zero" {
			return h, nil // a zero Ref, sent back as it came
		}
		if _, err := AccMeta.Call(ctx, h.Ref, "none"); err != nil {
			return h, fmt.Errorf("through the ref in the holder: %w", err)
		}
		h.Name += " / called"
		return h, nil
	})
	// AccRelay calls "acc fail" on the ref with how, with its own
	// context, and returns what that call returned, wrapped.
	AccRelay = uactor.Expose(AccKind, "acc relay", func(_ *accActor, ctx context.Context, h accHolder) (string, error) {
		if _, err := AccFail.Call(ctx, h.Ref, h.Name); err != nil {
			return "", fmt.Errorf("relay: %w", err)
		}
		got, err := AccMeta.Call(ctx, h.Ref, "user")
		return got, err
	})
	AccEmpty = uactor.Expose(AccKind, "acc empty", func(*accActor, context.Context, uactor.Empty) (uactor.Empty, error) {
		return uactor.Empty{}, nil
	})
)

// Two calls that wait on each other in the actor both finish: calls run
// concurrently, from one ref (one connection) and from two.
func TestAccCallsThatWaitOnEachOther(t *testing.T) {
	ctx := testCtx(t, 40*time.Second)
	key := uactor.NewKey()
	owner := spawn(t, ctx, AccKind, uactor.Empty{}, uactor.AuthKey(key))
	other := connectTo(t, ctx, AccKind, owner.Address(), key)
	hosted := host(t, ctx, AccKind, newAcc())
	for _, tc := range []struct {
		name string
		a, b uactor.Ref[*accActor]
	}{
		{"one connection", owner, owner},
		{"two connections", owner, other},
		{"hosted", hosted, hosted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			errs := make(chan error, 2)
			for _, r := range []uactor.Ref[*accActor]{tc.a, tc.b} {
				go func() {
					got, err := AccMeet.Call(cctx, r, tc.name)
					if err == nil && got != tc.name+" met" {
						err = fmt.Errorf("got %q", got)
					}
					errs <- err
				}()
			}
			for range 2 {
				if err := <-errs; err != nil {
					t.Fatalf("a call waiting on the other: %v", err)
				}
			}
		})
	}
}

// Serial runs one call at a time across all the actor's connections.
func TestAccSerialAcrossConnections(t *testing.T) {
	ctx := testCtx(t, 40*time.Second)
	key := uactor.NewKey()
	owner := spawn(t, ctx, AccKind, uactor.Empty{}, uactor.AuthKey(key), uactor.Serial())
	other := connectTo(t, ctx, AccKind, owner.Address(), key)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		r := owner
		if i%2 == 1 {
			r = other
		}
		wg.Go(func() {
			if _, err := AccHold.Call(ctx, r, 20*time.Millisecond); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if most, err := AccHold.Call(ctx, other, 0); err != nil || most != 1 {
		t.Fatalf("at most %d calls ran at once (%v); want 1 under Serial", most, err)
	}
	// The serial actor still meets no call with another: a second one would
	// wait forever, so the first gives up at its deadline.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := AccMeet.Call(cctx, owner, "alone"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a lone Meet = %v; want DeadlineExceeded", err)
	}
}

// Errors: a plain one arrives as *RemoteError with the method's name and
// the message; registered sentinels, bare, wrapped, joined, keep their
// identity; a panic comes back as ErrPanic and the actor serves on; the
// same in a spawned actor and a hosted one.
func TestAccHandlerErrors(t *testing.T) {
	ctx := testCtx(t, 40*time.Second)
	refs := map[string]uactor.Ref[*accActor]{
		"spawned": spawn(t, ctx, AccKind, uactor.Empty{}),
		"hosted":  host(t, ctx, AccKind, newAcc()),
	}
	for where, r := range refs {
		t.Run(where, func(t *testing.T) {
			_, err := AccFail.Call(ctx, r, "plain")
			var re *uactor.RemoteError
			if !errors.As(err, &re) || re.Method != "acc fail" || re.Message != "plain failure" {
				t.Errorf("plain: %#v; want *RemoteError{acc fail, plain failure}", err)
			}
			if err != nil && strings.Count(err.Error(), "uactor:") != 1 {
				t.Errorf("plain: %q says uactor: other than once", err)
			}
			for how, msg := range map[string]string{"sentinel": "not found", "wrapped": `lookup "k": not found`,
				"joined": "first\nsecond: not found"} {
				_, err := AccFail.Call(ctx, r, how)
				if !errors.Is(err, accErrNotFound) || !strings.Contains(err.Error(), msg) {
					t.Errorf("%s: %v; want errors.Is ErrNotFound, saying %q", how, err, msg)
				}
			}
			if _, err := AccFail.Call(ctx, r, "deadline"); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("deadline: %v; want errors.Is DeadlineExceeded", err)
			}
			_, err = AccPanic.Call(ctx, r, "kaboom")
			if !errors.Is(err, uactor.ErrPanic) || !strings.Contains(err.Error(), "acc: kaboom") {
				t.Errorf("panic: %v; want ErrPanic with the panic's value", err)
			}
			if _, err := AccEmpty.Call(ctx, r, uactor.Empty{}); err != nil {
				t.Errorf("after the panic: %v; the actor must serve on", err)
			}
		})
	}
}

// Cancelling the caller's context cancels the handler's, in another
// process and in this one.
func TestAccCancelReachesHandler(t *testing.T) {
	ctx := testCtx(t, 40*time.Second)
	for where, r := range map[string]uactor.Ref[*accActor]{
		"spawned": spawn(t, ctx, AccKind, uactor.Empty{}),
		"hosted":  host(t, ctx, AccKind, newAcc()),
	} {
		t.Run(where, func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { _, err := AccBlock.Call(cctx, r, uactor.Empty{}); done <- err }()
			if _, err := AccStarted.Call(ctx, r, uactor.Empty{}); err != nil {
				t.Fatal(err)
			}
			cancel()
			if err := receive(t, done, 10*time.Second, "the cancelled call returning"); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled call: %v; want context.Canceled", err)
			}
			ended, err := AccEnded.Call(ctx, r, uactor.Empty{})
			if err != nil || ended != context.Canceled.Error() {
				t.Fatalf("the handler's context ended with %q (%v); want %q", ended, err, context.Canceled)
			}
		})
	}
}

// Metadata set by the caller and by a client interceptor reaches the
// handler and the server interceptor, with the deadline; a server
// interceptor refuses with a registered sentinel, which keeps its identity.
func TestAccInterceptorsAndMetadata(t *testing.T) {
	ctx := testCtx(t, 40*time.Second)
	var seen atomic.Int64
	tag := uactor.ClientInterceptors(func(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
		seen.Add(1)
		if info.Kind != "acc-calls" || info.Method == "" {
			return fmt.Errorf("CallInfo %+v", info)
		}
		return invoke(uactor.WithMetadata(ctx, "client", "tagged"), req, resp)
	})
	r := spawn(t, ctx, AccKind, uactor.Empty{}, tag)
	want := time.Now().Add(20 * time.Second)
	cctx, cancel := context.WithDeadline(uactor.WithMetadata(ctx, "user", "u1"), want)
	defer cancel()
	for key, prefix := range map[string]string{"user": "u1 true true", "client": "tagged true true"} {
		got, err := AccMeta.Call(cctx, r, key)
		var ns int64
		if f := strings.Fields(got); err == nil && len(f) == 4 {
			fmt.Sscan(f[3], &ns)
		}
		if err != nil || !strings.HasPrefix(got, prefix) || !near(time.Unix(0, ns), want, time.Second) {
			t.Errorf("metadata %s: %q, %v; want %q and a deadline near %v", key, got, err, prefix, want)
		}
	}
	if got, err := AccMeta.Call(uactor.WithMetadata(cctx, "peek", "yes"), r, "user"); err != nil || got != "intercepted acc-calls deadline=true" {
		t.Errorf("server interceptor's answer: %q, %v", got, err)
	}
	_, err := AccEmpty.Call(uactor.WithMetadata(ctx, "deny", "yes"), r, uactor.Empty{})
	if !errors.Is(err, accErrDenied) || !strings.Contains(err.Error(), "interceptor of acc empty") {
		t.Errorf("refused by the server interceptor: %v; want errors.Is accErrDenied", err)
	}
	if seen.Load() != 4 {
		t.Errorf("the client interceptor saw %d calls; want 4", seen.Load())
	}
	// Through Method.On, a Handler, the same.
	var h uactor.Handler[string, string] = AccMeta.On(r)
	if got, err := h.Handle(cctx, "user"); err != nil || !strings.HasPrefix(got, "u1 true") {
		t.Errorf("through On: %q, %v", got, err)
	}
}

// accHolder is a msgp-style struct (hand-written, shaped as msgp
// generates: value-receiver MarshalMsg, pointer UnmarshalMsg) with a Ref
// field, which travels through the Ref's own msgp methods.
type accHolder struct {
	Name string
	Ref  uactor.Ref[*accActor]
}

func (h accHolder) MarshalMsg(b []byte) ([]byte, error) {
	b = append(b, 0x92, 0xdb)
	b = binary.BigEndian.AppendUint32(b, uint32(len(h.Name)))
	b = append(b, h.Name...)
	return h.Ref.MarshalMsg(b)
}

func (h *accHolder) UnmarshalMsg(b []byte) ([]byte, error) {
	if len(b) < 6 || b[0] != 0x92 || b[1] != 0xdb {
		return b, errors.New("accHolder: not [str, ref]")
	}
	n := binary.BigEndian.Uint32(b[2:])
	if uint64(len(b)-6) < uint64(n) {
		return b, errors.New("accHolder: short")
	}
	h.Name = string(b[6 : 6+n])
	return h.Ref.UnmarshalMsg(b[6+n:])
}

func (h accHolder) Msgsize() int { return 6 + len(h.Name) + h.Ref.Msgsize() }

// A Ref inside a msgp struct travels to the actor, which calls through
// it, and back, where it works too.
func TestAccRefInMsgpStruct(t *testing.T) {
	ctx := testCtx(t, 40*time.Second)
	a := spawn(t, ctx, AccKind, uactor.Empty{})
	b := spawn(t, ctx, AccKind, uactor.Empty{})
	got, err := AccRefEcho.Call(ctx, a, accHolder{Name: "n", Ref: b})
	if err != nil || got.Name != "n / called" || got.Ref.PID() != b.PID() {
		t.Fatalf("holder came back as %+v, %v", got, err)
	}
	if _, err := AccEmpty.Call(ctx, got.Ref, uactor.Empty{}); err != nil {
		t.Fatalf("the ref that came back: %v", err)
	}
}

// accValue is one composite value to send through the actor and back,
// and how to tell that it came back right.
type accValue struct {
	name string
	run  func(t *testing.T, ctx context.Context, r uactor.Ref[*accActor])
}

func accEcho[T any](name string, check func(sent, got T) bool, vs ...T) accValue {
	m := uactor.Expose(AccKind, "acc echo "+name, func(_ *accActor, _ context.Context, v T) (T, error) { return v, nil })
	return accValue{name, func(t *testing.T, ctx context.Context, r uactor.Ref[*accActor]) {
		for i, v := range vs {
			got, err := m.Call(ctx, r, v)
			if err != nil {
				t.Errorf("value %d: %v", i, err)
			} else if !check(v, got) {
				t.Errorf("value %d: sent %#v, got %#v", i, v, got)
			}
		}
	}}
}

// sameFloats compares by bits: NaN payloads and −0 must survive.
func sameFloats[F float32 | float64](a, b F) bool {
	switch x := any(a).(type) {
	case float32:
		return math.Float32bits(x) == math.Float32bits(any(b).(float32))
	}
	return math.Float64bits(any(a).(float64)) == math.Float64bits(any(b).(float64))
}

func sameSlice[E any](eq func(a, b E) bool) func(a, b []E) bool {
	return func(a, b []E) bool {
		if len(a) != len(b) || len(a) == 0 && b != nil { // an empty slice arrives as nil
			return false
		}
		for i := range a {
			if !eq(a[i], b[i]) {
				return false
			}
		}
		return true
	}
}

func sameMap[K comparable, V any](eq func(a, b V) bool) func(a, b map[K]V) bool {
	return func(a, b map[K]V) bool {
		if len(a) != len(b) || b == nil { // a map, nil or empty, arrives as an empty map
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !eq(v, w) {
				return false
			}
		}
		return true
	}
}

func eq[T comparable](a, b T) bool { return a == b }

// sameBytes: a []byte arrives non-nil, empty if it was nil, in a slice or
// a map too.
func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) && b != nil }

var (
	accLocal = time.Now()
	accTimes = []time.Time{{}, accLocal, accLocal.UTC(), accLocal.In(time.FixedZone("W", -3600-30)),
		time.Date(2024, 3, 10, 2, 30, 0, 1, time.FixedZone("E", 5*3600+45*60)), time.Unix(0, 0).UTC(),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)}
	accNaN32 = math.Float32frombits(0x7fc0_1234)
	accNaN64 = math.Float64frombits(0xfff8_0000_dead_beef)

	accValues = []accValue{
		accEcho("[]bool", sameSlice(eq[bool]), nil, []bool{}, []bool{true, false}),
		accEcho("[]int", sameSlice(eq[int]), []int{math.MinInt, math.MaxInt, 0, -1}),
		accEcho("[]int8", sameSlice(eq[int8]), []int8{math.MinInt8, math.MaxInt8}),
		accEcho("[]int16", sameSlice(eq[int16]), []int16{math.MinInt16, math.MaxInt16}),
		accEcho("[]int32", sameSlice(eq[int32]), []int32{math.MinInt32, math.MaxInt32}),
		accEcho("[]int64", sameSlice(eq[int64]), []int64{math.MinInt64, math.MaxInt64}),
		accEcho("[]uint", sameSlice(eq[uint]), []uint{math.MaxUint, 0}),
		accEcho("[]uint16", sameSlice(eq[uint16]), []uint16{math.MaxUint16}),
		accEcho("[]uint32", sameSlice(eq[uint32]), []uint32{math.MaxUint32}),
		accEcho("[]uint64", sameSlice(eq[uint64]), []uint64{math.MaxUint64}),
		accEcho("[]float32", sameSlice(sameFloats[float32]), []float32{accNaN32, float32(math.Copysign(0, -1)), float32(math.Inf(-1))}),
		accEcho("[]float64", sameSlice(sameFloats[float64]), []float64{accNaN64, math.Copysign(0, -1), math.SmallestNonzeroFloat64}),
		accEcho("[]string", sameSlice(eq[string]), []string{"", "\xff\xfe", "\x00", "ü"}),
		accEcho("[][]byte", sameSlice(sameBytes), [][]byte{nil, {}, {0}, bytes.Repeat([]byte{9}, 300)}),
		accEcho("[]time.Time", sameSlice(sameTime), accTimes),
		accEcho("[]time.Duration", sameSlice(eq[time.Duration]), []time.Duration{math.MinInt64, math.MaxInt64, -1}),
		accEcho("map[string]float64", sameMap[string](sameFloats[float64]), nil, map[string]float64{},
			map[string]float64{"nan": accNaN64, "-0": math.Copysign(0, -1), "\xff": 1}),
		accEcho("map[int]float32", sameMap[int](sameFloats[float32]), map[int]float32{math.MinInt: accNaN32, math.MaxInt: -0.5}),
		accEcho("map[int64][]byte", sameMap[int64](sameBytes), map[int64][]byte{-1: nil, 0: {}, 1: {1, 2}, math.MaxInt64: bytes.Repeat([]byte{1}, 1000)}),
		accEcho("map[uint64]time.Time", sameMap[uint64](sameTime), map[uint64]time.Time{0: {}, 1: accLocal, 2: accTimes[3], math.MaxUint64: accTimes[4]}),
		accEcho("map[string]time.Duration", sameMap[string](eq[time.Duration]), map[string]time.Duration{"min": math.MinInt64, "max": math.MaxInt64}),
		accEcho("map[int]bool", sameMap[int](eq[bool]), map[int]bool{-1: true, 0: false}),
		accEcho("map[string]string", sameMap[string](eq[string]), map[string]string{"": "\xc3", "\x00": ""}),
		accEcho("map[uint64]int8", sameMap[uint64](eq[int8]), map[uint64]int8{math.MaxUint64: math.MinInt8}),
		accEcho("map[int64]uint", sameMap[int64](eq[uint]), map[int64]uint{math.MinInt64: math.MaxUint}),
		accEcho("map[string]uint16", sameMap[string](eq[uint16]), map[string]uint16{"a": math.MaxUint16}),
		accEcho("map[int]int32", sameMap[int](eq[int32]), map[int]int32{7: math.MinInt32}),
		accEcho("map[int]uint32", sameMap[int](eq[uint32]), map[int]uint32{7: math.MaxUint32}),
		accEcho("map[int]int16", sameMap[int](eq[int16]), map[int]int16{7: math.MinInt16}),
		accEcho("map[int]int", sameMap[int](eq[int]), map[int]int{math.MinInt: math.MaxInt}),
		accEcho("map[int]int64", sameMap[int](eq[int64]), map[int]int64{0: math.MinInt64}),
		accEcho("map[int]uint64", sameMap[int](eq[uint64]), map[int]uint64{0: math.MaxUint64}),
		accEcho("accPoint", eq[accPoint], accPoint{}, accPoint{math.MinInt64, math.MaxInt64}),
		accEcho("accBox", eq[accBox], accBox{}, accBox{"\xff"}),
	}
)

// accPoint has msgp-shaped methods with pointer receivers throughout.
type accPoint struct{ X, Y int64 }

func (p *accPoint) MarshalMsg(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint64(append(b, 0x92, 0xd3), uint64(p.X))
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(p.Y)), nil
}

func (p *accPoint) UnmarshalMsg(b []byte) ([]byte, error) {
	if len(b) < 19 || b[0] != 0x92 || b[1] != 0xd3 || b[10] != 0xd3 {
		return b, errors.New("accPoint: not [int64, int64]")
	}
	p.X, p.Y = int64(binary.BigEndian.Uint64(b[2:])), int64(binary.BigEndian.Uint64(b[11:]))
	return b[19:], nil
}

// accBox has only MarshalBinary (no AppendBinary) and UnmarshalBinary.
type accBox struct{ S string }

func (b accBox) MarshalBinary() ([]byte, error) { return []byte("box:" + b.S), nil }
func (b *accBox) UnmarshalBinary(p []byte) error {
	s, ok := strings.CutPrefix(string(p), "box:")
	if !ok {
		return errors.New("accBox: no prefix")
	}
	b.S = s
	return nil
}

// Every composite combination, at its edges, to an actor process and back.
func TestAccCompositeEdges(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawn(t, ctx, AccKind, uactor.Empty{})
	for _, v := range accValues {
		t.Run(v.name, func(t *testing.T) { v.run(t, ctx, r) })
	}
}

// What Expose says of types that cannot travel: it names the type and a fix.
func TestAccExposeRefusals(t *testing.T) {
	type noMethods struct{ A int }
	for _, tc := range []struct {
		name, want string
		expose     func()
	}{
		{"map[bool]int", "map[K]E", func() {
			uactor.Expose(AccKind, "acc bad 1", func(*accActor, context.Context, map[bool]int) (uactor.Empty, error) { return uactor.Empty{}, nil })
		}},
		{"[]struct {}", "named type", func() {
			uactor.Expose(AccKind, "acc bad 2", func(*accActor, context.Context, uactor.Empty) ([]struct{}, error) { return nil, nil })
		}},
		{"chan int", "never travel", func() {
			uactor.Expose(AccKind, "acc bad 3", func(*accActor, context.Context, chan int) (uactor.Empty, error) { return uactor.Empty{}, nil })
		}},
		{"noMethods", "MarshalMsg", func() {
			uactor.Expose(AccKind, "acc bad 4", func(*accActor, context.Context, noMethods) (uactor.Empty, error) { return uactor.Empty{}, nil })
		}},
		{"map[string][]string", "map[K]E", func() {
			uactor.Define("acc-bad-define", func(context.Context, map[string][]string) (*accActor, error) { return nil, nil })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := func() (msg string) {
				defer func() { msg = fmt.Sprint(recover()) }()
				tc.expose()
				return ""
			}()
			t.Log(msg)
			if msg == "" || msg == "<nil>" || !strings.Contains(msg, tc.name) || !strings.Contains(msg, tc.want) {
				t.Errorf("panic %q; want one naming %s and saying %q", msg, tc.name, tc.want)
			}
		})
	}
}

var accIntercepted atomic.Int64

// AccIKind's refs, in every process, count their calls in accIntercepted.
var AccIKind = uactor.Define("acc-intercepted", newAccActor, uactor.ClientInterceptors(
	func(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
		accIntercepted.Add(1)
		return invoke(ctx, req, resp)
	}))

var AccIEmpty = uactor.Expose(AccIKind, "acc empty", func(*accActor, context.Context, uactor.Empty) (uactor.Empty, error) {
	return uactor.Empty{}, nil
})

// Odd combinations: errors and metadata through a handler's own calls
// (three processes), a zero Ref in a msgp struct, a client interceptor that
// invokes twice, Define's client interceptors on a ref that arrived in a
// message, and a Handler from On after its ref closed.
func TestAccOddCombinations(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	a := spawn(t, ctx, AccKind, uactor.Empty{})
	b := spawn(t, ctx, AccKind, uactor.Empty{})
	mctx := uactor.WithMetadata(ctx, "user", "u9")
	t.Run("relay", func(t *testing.T) {
		if got, err := AccRelay.Call(mctx, a, accHolder{Name: "ok", Ref: b}); err != nil || !strings.HasPrefix(got, "u9 true") {
			t.Errorf("relayed metadata: %q, %v", got, err)
		}
		_, err := AccRelay.Call(ctx, a, accHolder{Name: "wrapped", Ref: b})
		if !errors.Is(err, accErrNotFound) || strings.Count(err.Error(), "uactor:") != 1 {
			t.Errorf("relayed sentinel: %v; want errors.Is accErrNotFound, uactor: once", err)
		}
		_, err = AccRelay.Call(ctx, a, accHolder{Name: "plain", Ref: b})
		var re *uactor.RemoteError
		if !errors.As(err, &re) || re.Method != "acc relay" || !strings.Contains(re.Message, "plain failure") ||
			strings.Count(err.Error(), "uactor:") != 1 {
			t.Errorf("relayed plain error: %#v (%v)", err, err)
		}
	})
	t.Run("zero ref", func(t *testing.T) {
		got, err := AccRefEcho.Call(ctx, a, accHolder{Name: "zero"})
		if err != nil || got.Name != "zero" || got.Ref != (uactor.Ref[*accActor]{}) {
			t.Errorf("a zero Ref in a holder came back as %+v, %v", got, err)
		}
	})
	t.Run("invoke twice", func(t *testing.T) {
		twice := uactor.ClientInterceptors(func(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
			if err := invoke(ctx, req, resp); err != nil {
				return err
			}
			return invoke(ctx, req, resp)
		})
		key := uactor.NewKey()
		r := spawn(t, ctx, AccKind, uactor.Empty{}, uactor.AuthKey(key))
		c := connectTo(t, ctx, AccKind, r.Address(), key, twice)
		for i := range 3 {
			if most, err := AccHold.Call(ctx, c, 0); err != nil || most != 1 {
				t.Errorf("call %d through an interceptor that invokes twice: %d, %v", i, most, err)
			}
		}
	})
	t.Run("define interceptor on a received ref", func(t *testing.T) {
		x := spawn(t, ctx, AccIKind, uactor.Empty{})
		before := accIntercepted.Load()
		if _, err := AccIEmpty.Call(ctx, x, uactor.Empty{}); err != nil {
			t.Fatal(err)
		}
		got, err := AccRefEcho.Call(ctx, a, accHolder{Name: "zero", Ref: x})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := AccIEmpty.Call(ctx, got.Ref, uactor.Empty{}); err != nil {
			t.Fatal(err)
		}
		if n := accIntercepted.Load() - before; n != 2 {
			t.Errorf("Define's client interceptor ran for %d of 2 calls", n)
		}
	})
	t.Run("On after Close", func(t *testing.T) {
		key := uactor.NewKey()
		r := spawn(t, ctx, AccKind, uactor.Empty{}, uactor.AuthKey(key))
		c, err := uactor.Connect(ctx, AccKind, r.Address(), key)
		if err != nil {
			t.Fatal(err)
		}
		h := AccEmpty.On(c)
		if _, err := h.Handle(ctx, uactor.Empty{}); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if _, err := h.Handle(ctx, uactor.Empty{}); !errors.Is(err, uactor.ErrClosed) {
			t.Errorf("through On after Close: %v; want ErrClosed", err)
		}
		if _, err := AccEmpty.Call(ctx, r, uactor.Empty{}); err != nil {
			t.Errorf("the owner's ref after another's Close: %v", err)
		}
	})
}
