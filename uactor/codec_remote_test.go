package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Every built-in slice and map travels to an actor process and back: the
// actor decodes the request and encodes it again as its response.

type compositeActor struct{ seed []string }

var (
	CompositeKind = uactor.Define("composites", func(ctx context.Context, seed []string) (*compositeActor, error) {
		return &compositeActor{seed: seed}, nil
	})
	// Seed returns the spawn argument, a []string, as the actor received it.
	Seed = uactor.Expose(CompositeKind, "seed", func(a *compositeActor, _ context.Context, _ uactor.Empty) ([]string, error) {
		return a.seed, nil
	})
	compositeCases = append(append(append(append(append(sliceCases(),
		mapCases[string]()...), mapCases[int]()...), mapCases[int64]()...), mapCases[uint64]()...),
		// Slices of anything else need a codec of their own: Expose says so.
		echoCase(func(n int) []uactor.Empty { return nil }, false))
)

// compositeCase sends a value of n elements through the actor and back.
type compositeCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, r uactor.Ref[*compositeActor], n int)
}

// echoCase exposes an echo method for T, unless T cannot travel (travels
// false): then Expose must panic, and the case checks that it did.
func echoCase[T any](gen func(n int) T, travels bool) compositeCase {
	name := fmt.Sprintf("%T", *new(T))
	if !travels {
		panicked := func() (r any) {
			defer func() { r = recover() }()
			uactor.Expose(CompositeKind, "echo "+name, func(*compositeActor, context.Context, T) (T, error) { return *new(T), nil })
			return nil
		}()
		return compositeCase{name, func(t *testing.T, _ context.Context, _ uactor.Ref[*compositeActor], _ int) {
			if panicked == nil {
				t.Fatalf("Expose accepted %s", name)
			}
		}}
	}
	m := uactor.Expose(CompositeKind, "echo "+name, func(_ *compositeActor, _ context.Context, v T) (T, error) { return v, nil })
	return compositeCase{name, func(t *testing.T, ctx context.Context, r uactor.Ref[*compositeActor], n int) {
		want := gen(n)
		got, err := m.Call(ctx, r, want)
		if err != nil {
			t.Fatal(err)
		}
		if gl, wl := reflect.ValueOf(got).Len(), reflect.ValueOf(want).Len(); gl != n || wl != n {
			t.Fatalf("sent %d elements, got %d back", wl, gl)
		}
		if n > 0 && !reflect.DeepEqual(got, want) {
			t.Fatalf("%s of %d elements came back changed", name, n)
		}
	}}
}

func sliceCases() []compositeCase {
	return []compositeCase{
		echoCase(slice[bool], true), echoCase(slice[int], true), echoCase(slice[int8], true),
		echoCase(slice[int16], true), echoCase(slice[int32], true), echoCase(slice[int64], true),
		echoCase(slice[uint], true), echoCase(slice[uint16], true), echoCase(slice[uint32], true),
		echoCase(slice[uint64], true), echoCase(slice[float32], true), echoCase(slice[float64], true),
		echoCase(slice[string], true), echoCase(slice[[]byte], true), echoCase(slice[time.Time], true),
		echoCase(slice[time.Duration], true),
	}
}

func mapCases[K comparable]() []compositeCase {
	return []compositeCase{
		echoCase(mapOf[K, bool], true), echoCase(mapOf[K, int], true), echoCase(mapOf[K, int8], true),
		echoCase(mapOf[K, int16], true), echoCase(mapOf[K, int32], true), echoCase(mapOf[K, int64], true),
		echoCase(mapOf[K, uint], true), echoCase(mapOf[K, uint16], true), echoCase(mapOf[K, uint32], true),
		echoCase(mapOf[K, uint64], true), echoCase(mapOf[K, float32], true), echoCase(mapOf[K, float64], true),
		echoCase(mapOf[K, string], true), echoCase(mapOf[K, []byte], true), echoCase(mapOf[K, time.Time], true),
		echoCase(mapOf[K, time.Duration], true),
	}
}

func slice[E any](n int) []E {
	v := make([]E, n)
	for i := range v {
		v[i] = value[E](i)
	}
	return v
}

func mapOf[K comparable, V any](n int) map[K]V {
	m := make(map[K]V, n)
	for i := range n {
		m[value[K](i)] = value[V](i)
	}
	return m
}

// value returns the i-th test value of type E: distinct for distinct i,
// with negative numbers, extremes, empty and non-ASCII strings among them.
func value[E any](i int) E {
	var v any
	switch any(*new(E)).(type) {
	case bool:
		v = i%3 == 0
	case int:
		v = (i - 50_000) * (math.MaxInt / 100_000) // spread over the platform's int range
	case int8:
		v = int8(i)
	case int16:
		v = int16(i * 7)
	case int32:
		v = int32(i*40_503 - 1<<30)
	case int64:
		v = int64(i)*1e13 - 1<<62
	case uint:
		v = uint(i) * (math.MaxUint / 100_000) // spread over the platform's uint range
	case uint16:
		v = uint16(i)
	case uint32:
		v = uint32(i) * 42_949
	case uint64:
		v = ^uint64(i)
	case float32:
		v = float32(i) / 3
	case float64:
		v = -float64(i) / 7
	case string:
		v = [...]string{"", "ü→"}[i%2] + strconv.Itoa(i)
	case []byte:
		v = []byte(strconv.Itoa(i))[:i%4%len(strconv.Itoa(i))+i%2]
	case time.Time:
		v = time.Unix(int64(i)*3_600_000-1e9, int64(i)).UTC()
	case time.Duration:
		v = time.Duration(i-3) * time.Millisecond
	}
	return v.(E)
}

// Each built-in composite, empty, of one element and of 100,000, to an
// actor process and back; a []string as the spawn argument.
func TestCompositesAcrossProcesses(t *testing.T) {
	ctx := testCtx(t, 4*time.Minute)
	seed := []string{"first", "", "ü"}
	r := spawn(t, ctx, CompositeKind, seed)
	if got, err := Seed.Call(ctx, r, uactor.Empty{}); err != nil || !reflect.DeepEqual(got, seed) {
		t.Fatalf("spawn argument %q arrived as %q (%v)", seed, got, err)
	}
	for _, n := range []int{0, 1} {
		for _, c := range compositeCases {
			t.Run(fmt.Sprintf("%s/%d", c.name, n), func(t *testing.T) { c.run(t, ctx, r, n) })
		}
	}
	// The large values keep both processes busy in turns, so two at a time
	// use both CPUs; the group returns when all of them have.
	t.Run("100000", func(t *testing.T) {
		for _, c := range compositeCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, ctx, r, 100_000)
			})
		}
	})
}

// unencodable is a response whose AppendBinary fails: the handler
// returned it without an error, and the actor could not send it.
type unencodable struct{}

var errUnencodable = errors.New("unencodable cannot be encoded")

func (unencodable) AppendBinary(b []byte) ([]byte, error) { return b, errUnencodable }
func (*unencodable) UnmarshalBinary([]byte) error         { return nil }

// UnencodableResponse's handler succeeds; its response does not encode.
var UnencodableResponse = uactor.Expose(CompositeKind, "unencodable response",
	func(*compositeActor, context.Context, uactor.Empty) (unencodable, error) { return unencodable{}, nil })

// A response that the actor cannot encode fails the call with an error that
// says so, not one the caller would take for the handler's own.
func TestResponseEncodingFailsAcrossProcesses(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawn(t, ctx, CompositeKind, nil)
	_, err := UnencodableResponse.Call(ctx, r, uactor.Empty{})
	var re *uactor.RemoteError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "encoding response") ||
		!strings.Contains(err.Error(), errUnencodable.Error()) {
		t.Fatalf("err = %v; want a *RemoteError that says the response did not encode, and why", err)
	}
}
