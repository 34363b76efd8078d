package uactor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// waitSlots waits until n calls wait for a slot of s.
func waitSlots(t *testing.T, s *callSlots, n int) {
	t.Helper()
	waitLocked(t, &s.mu, fmt.Sprintf("%d calls waiting for a slot", n), func() bool { return len(s.waiting) == n })
}

// Calls take free slots at once and, once none is free, wait in turn; one
// that gives up while it waits takes nothing and holds up nobody behind
// it, and a context already done takes no slot even when one is free.
func TestCallSlotsTurns(t *testing.T) {
	s := newCallSlots(2)
	ctx := context.Background()
	for range 2 {
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	acquires := func(ctx context.Context) <-chan error {
		ch := make(chan error, 1)
		go func() { ch <- s.acquire(ctx) }()
		return ch
	}
	gaveUp, cancel := context.WithCancel(ctx)
	a := acquires(gaveUp)
	waitSlots(t, s, 1)
	b := acquires(ctx)
	waitSlots(t, s, 2)
	c := acquires(ctx)
	waitSlots(t, s, 3)
	cancel()
	if err := recvWithin(t, a, 10*time.Second, "the call that gave up"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a call whose context ended while it waited: %v", err)
	}
	s.release()
	if err := recvWithin(t, b, 10*time.Second, "the first call still waiting"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c:
		t.Fatalf("a call took a slot ahead of its turn, or with none free: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	s.release()
	if err := recvWithin(t, c, 10*time.Second, "the last call waiting"); err != nil {
		t.Fatal(err)
	}
	s.release()
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.acquire(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("a call whose context was done already, a slot free: %v", err)
	}
	if v := s.state.Load(); v != 1 {
		t.Fatalf("after: state %#x; want 1 slot taken, nobody waiting", v)
	}
}

// Many callers taking and giving back slots, in some runs a third of them
// giving up at random while they wait: no more than the slots are ever
// taken, none waits for ever, and the slots end free, with nobody waiting.
// With one slot and nobody giving up, every slot a waiter gets comes from
// a release: no waiter that gives up hands slots on.
func TestCallSlotsUnderContention(t *testing.T) {
	for _, tc := range []struct {
		name   string
		slots  int
		giveUp bool
	}{
		{"three slots, some give up", 3, true},
		{"one slot, nobody gives up", 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) { slotsUnderContention(t, tc.slots, tc.giveUp) })
	}
}

func slotsUnderContention(t *testing.T, slots int, giveUp bool) {
	s := newCallSlots(slots)
	deadline, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	held := make(chan struct{}, slots) // a token a slot held: one past slots finds it full
	done := make(chan struct{})
	for range 16 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 500 {
				ctx, stop := deadline, context.CancelFunc(func() {})
				if giveUp && i%3 == 0 {
					ctx, stop = context.WithTimeout(deadline, time.Duration(i%5)*time.Microsecond)
				}
				err := s.acquire(ctx)
				stop()
				if err != nil {
					if !giveUp {
						t.Error(err)
						return
					}
					continue
				}
				select {
				case held <- struct{}{}:
				default:
					t.Error("more calls hold slots than there are slots")
					s.release()
					return
				}
				if giveUp && i%2 == 0 {
					time.Sleep(time.Microsecond)
				} else if i%2 == 0 {
					runtime.Gosched()
				}
				<-held
				s.release()
			}
		}()
	}
	for range 16 {
		select {
		case <-done:
		case <-deadline.Done():
			t.Fatal("callers still waiting for a slot")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.state.Load(); v != 0 || len(s.waiting) != 0 {
		t.Fatalf("after: state %#x, %d waiting; want no slot taken and nobody waiting", v, len(s.waiting))
	}
}
