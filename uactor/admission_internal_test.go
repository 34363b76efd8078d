package uactor

import (
	"testing"
	"time"
)

// The rejections of one actor leave failInterval apart however many come
// at once, so a guesser gets at most one answer per interval; a rejection
// after a quiet spell leaves at once, with no credit saved up for a burst.
func TestFailGateSpacesRejections(t *testing.T) {
	g := newFailGate()
	now := time.Unix(1000, 0)
	for i := range 10 {
		if at, want := g.turn(now), now.Add(time.Duration(i)*failInterval); !at.Equal(want) {
			t.Fatalf("rejection %d of a burst leaves at %v; want %v", i, at.Sub(now), want.Sub(now))
		}
	}
	// Halfway through the queue: behind the last one still.
	mid := now.Add(5 * failInterval)
	if at, want := g.turn(mid), now.Add(10*failInterval); !at.Equal(want) {
		t.Fatalf("a rejection during the queue leaves at %v; want %v", at.Sub(now), want.Sub(now))
	}
	later := now.Add(time.Hour)
	for i := range 3 {
		if at, want := g.turn(later), later.Add(time.Duration(i)*failInterval); !at.Equal(want) {
			t.Fatalf("after a quiet hour, rejection %d leaves at %v; want %v", i, at.Sub(later), want.Sub(later))
		}
	}
}
