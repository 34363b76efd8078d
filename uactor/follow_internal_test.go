package uactor

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
	"github.com/uactor-go/uactor/internal/handshake"
)

// Callers that share a context with the reader wait on their own channel,
// woken by the connection's watch on that context (follow). Here three
// callers share one context on a connection whose actor holds their
// answers. Whether the answers come or the context ends, the two waiting
// as followers must wake, and leave nothing behind in the watch (calls are
// pooled); answers that come after the callers gave up free their slots
// for the next call.
func TestFollowersSharingContext(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cancel  bool  // the context ends before the answers come
		wantErr error // what the three calls return
	}{
		{"answered", false, nil},
		{"given up", true, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, answer := followConn(t, 3)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errs := make(chan error, 3)
			for range 3 {
				go func() { errs <- roundTripped(c, ctx) }()
			}
			waitLocked(t, &c.mu, "a reader and two followers on the watch", func() bool {
				return c.pending.len() == 3 && c.reader != nil && c.reader != watcher && len(c.followers.waiters) == 2
			})
			if tc.cancel {
				cancel()
			} else {
				answer(3)
			}
			for i := range 3 {
				if err := recvWithin(t, errs, 10*time.Second, "return of a call"); !errors.Is(err, tc.wantErr) {
					t.Fatalf("caller %d: %v; want %v", i, err, tc.wantErr)
				}
			}
			c.mu.Lock()
			left := len(c.followers.waiters)
			c.mu.Unlock()
			if left != 0 {
				t.Errorf("%d callers that returned still wait on the watch", left)
			}
			if tc.cancel {
				answer(3) // the late answers give back the slots the calls kept
			}
			next := make(chan error, 1)
			go func() { next <- roundTripped(c, context.Background()) }()
			answer(1)
			if err := recvWithin(t, next, 10*time.Second, "return of the next call"); err != nil {
				t.Fatalf("the next call: %v", err)
			}
		})
	}
}

// A follower waiting on the watch is woken by its context's end though the
// read role has gone on to a caller with no context, whose read nothing
// interrupts.
func TestFollowerWokenUnderAnotherReader(t *testing.T) {
	c, answer := followConn(t, 3)
	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	errX, errY, errF := make(chan error, 1), make(chan error, 1), make(chan error, 1)
	go func() { errX <- roundTripped(c, ctxA) }()
	waitLocked(t, &c.mu, "X to read", func() bool { return c.pending.len() == 1 && c.reader != nil && c.reader != watcher })
	go func() { errY <- roundTripped(c, context.Background()) }()
	waitLocked(t, &c.mu, "Y to wait", func() bool { return c.pending.len() == 2 && waitingCalls(c) == 2 })
	answer(1) // X's call, the first
	if err := recvWithin(t, errX, 10*time.Second, "return of X"); err != nil {
		t.Fatalf("X: %v", err)
	}
	waitLocked(t, &c.mu, "Y to read", func() bool { return c.pending.len() == 1 && c.reader != nil && c.reader != watcher })

	go func() { errF <- roundTripped(c, ctxA) }()
	waitLocked(t, &c.mu, "F to wait on the watch", func() bool { return len(c.followers.waiters) == 1 })
	cancelA()
	if err := recvWithin(t, errF, 10*time.Second, "return of F"); !errors.Is(err, context.Canceled) {
		t.Fatalf("F: %v; want context.Canceled", err)
	}
	answer(2) // Y's, and F's late one
	if err := recvWithin(t, errY, 10*time.Second, "return of Y"); err != nil {
		t.Fatalf("Y, whose context did not end: %v", err)
	}
}

// roundTripped makes a call on c and releases its reply.
func roundTripped(c *clientConn, ctx context.Context) error {
	buf, err := c.roundTrip(ctx, "m", callPrefix("m"), nil)
	if err == nil {
		buf.Release()
	}
	return err
}

// waitingCalls counts the calls whose callers wait for their answers.
func waitingCalls(c *clientConn) int {
	n := 0
	for s := range c.pending.all() {
		if s.cl != abandoned && s.cl.waiting {
			n++
		}
	}
	return n
}

// followConn returns a connection with n call slots to a windowActor, and
// answer, which has the actor answer the next k calls it reads, in the
// order it read them.
func followConn(t *testing.T, n int) (c *clientConn, answer func(k int)) {
	a, srv := conntest.Unix(t)
	o := defaultOptions()
	o.inflight = n
	c = newClientConn(a, address{network: "unix", addr: "pair"}, &handshake.Session{}, o, true)
	t.Cleanup(func() { c.close(net.ErrClosed) })
	calls, answers := windowActor(t, srv)
	return c, func(k int) {
		for range k {
			answers <- recvWithin(t, calls, 10*time.Second, "call at the actor")[0]
		}
	}
}

// The watch's bookkeeping: it wakes its waiters when its context ends, once
// each; removing one leaves the others in place; and it moves to another
// context only while nobody waits on it, and only to the reader's.
func TestCtxWatch(t *testing.T) {
	var mu sync.Mutex
	var w ctxWatch
	t.Cleanup(func() { mu.Lock(); w.disarm(); mu.Unlock() })
	newCall := func() *call { return &call{done: make(chan bool, 1)} }
	woken := func(cl *call) bool {
		select {
		case v := <-cl.done:
			if v {
				t.Fatal("woken as answered; want false, to look again")
			}
			return true
		default:
			return false
		}
	}

	ctxA, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	ctxB, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	calls := []*call{newCall(), newCall(), newCall(), newCall()}
	mu.Lock()
	if w.take(ctxA, ctxB.Done(), &mu) {
		t.Error("a free watch took a context that is not the reader's")
	}
	if !w.take(ctxA, ctxA.Done(), &mu) {
		t.Fatal("a free watch refused the reader's context")
	}
	for _, cl := range calls {
		w.add(cl)
	}
	if w.take(ctxB, ctxB.Done(), &mu) {
		t.Error("a watch with waiters moved to another context")
	}
	w.remove(calls[1])
	for i, cl := range w.waiters {
		if cl.watchAt != i+1 {
			t.Errorf("waiter %d records its place as %d", i, cl.watchAt-1)
		}
	}
	if len(w.waiters) != 3 || calls[1].watchAt != 0 {
		t.Errorf("after a remove: %d waiters, the removed one at %d; want 3, 0", len(w.waiters), calls[1].watchAt-1)
	}
	mu.Unlock()

	cancelA()
	waitLocked(t, &mu, "the waiters to be woken", func() bool { return len(w.waiters) == 0 })
	for i, cl := range calls {
		if got, want := woken(cl), i != 1; got != want || cl.signaled != want || cl.watchAt != 0 {
			t.Errorf("call %d: woken %v, signaled %v, watchAt %d; want %v, %v, 0", i, got, cl.signaled, cl.watchAt, want, want)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if !w.take(ctxB, ctxB.Done(), &mu) || w.done != ctxB.Done() {
		t.Fatal("a free watch did not move to the reader's context")
	}
}
