package uactor_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// selfish is a value whose AppendBinary returns memory of its own instead
// of appending to the slice it was handed: a whole payload still reads
// right, but that memory is the program's, never a buffer for the library
// to write its next encodings into. Its size picks which memory: one as
// small as a scratch buffer, and one larger, as an appender's grown slice
// would be.
type selfish struct{ size int }

// selfishMemory is what each selfish value returns, by size; none of it
// may ever change.
var selfishMemory = map[int][]byte{16: bytes.Repeat([]byte{'s'}, 16), 4096: bytes.Repeat([]byte{'s'}, 4096)}

func (s selfish) AppendBinary(b []byte) ([]byte, error) { return selfishMemory[s.size], nil }
func (s *selfish) UnmarshalBinary(b []byte) error       { s.size = len(b); return nil }

// intact says whether the memory selfish values return is as it was.
func selfishIntact() bool {
	for _, m := range selfishMemory {
		if bytes.Count(m, []byte{'s'}) != len(m) {
			return false
		}
	}
	return true
}

var (
	selfishRequest = uactor.Expose(ValuesKind, "selfish request", func(valuesActor, context.Context, selfish) (uactor.Empty, error) {
		return uactor.Empty{}, nil
	})
	selfishResponse = uactor.Expose(ValuesKind, "selfish response", func(_ valuesActor, _ context.Context, size int) (selfish, error) {
		return selfish{size}, nil
	})
	selfishEcho = uactor.Expose(ValuesKind, "selfish echo", func(_ valuesActor, _ context.Context, v []int64) ([]int64, error) {
		return v, nil
	})
	selfishChecked = uactor.Expose(ValuesKind, "selfish intact", func(valuesActor, context.Context, uactor.Empty) (bool, error) {
		return selfishIntact(), nil
	})
)

// A user's AppendBinary that returns a slice of its own, not one grown
// from what it was handed, sends its bytes, and the library never writes
// into that slice afterwards: not the caller's, for a request, nor the
// actor's, for a response.
func TestSelfishAppenderMemoryIsLeftAlone(t *testing.T) {
	ctx := testCtx(t, time.Minute)
	r := spawn(t, ctx, ValuesKind, uactor.Empty{})
	overwrite := []int64{-1 << 62, -1 << 62, -1 << 62, -1 << 62}
	for i := range 50 { // the scratch pool is per P, and drops some puts under -race
		for size := range selfishMemory {
			if _, err := selfishRequest.Call(ctx, r, selfish{size}); err != nil {
				t.Fatalf("request: %v", err)
			}
			if got, err := selfishResponse.Call(ctx, r, size); err != nil || got.size != size {
				t.Fatalf("response: %v, %v; want %d bytes", got, err, size)
			}
			if _, err := selfishEcho.Call(ctx, r, overwrite); err != nil {
				t.Fatalf("echo: %v", err)
			}
		}
		if !selfishIntact() {
			t.Fatalf("round %d: the caller's own memory, returned by AppendBinary, was written into later", i)
		}
		if ok, err := selfishChecked.Call(ctx, r, uactor.Empty{}); err != nil || !ok {
			t.Fatalf("round %d: the actor's own memory, returned by AppendBinary, was written into later (%v)", i, err)
		}
	}
}
