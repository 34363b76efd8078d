package uactor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// A call's context behaves as context.WithCancel's would: Done before and
// after use, Err, AfterFunc, and contexts derived from it.
func TestCallCtx(t *testing.T) {
	var cs callCtxs
	for _, tt := range []struct {
		name      string
		doneFirst bool // ask for Done before the cancel
	}{{"done asked before cancel", true}, {"done asked after cancel", false}} {
		t.Run(tt.name, func(t *testing.T) {
			c := cs.next(callContext{})
			var early <-chan struct{}
			if tt.doneFirst {
				early = c.Done()
			}
			child, cancelChild := context.WithCancel(c)
			defer cancelChild()
			ran := make(chan struct{})
			context.AfterFunc(c, func() { close(ran) })
			stopped := context.AfterFunc(c, func() { t.Error("a stopped AfterFunc ran") })
			if !stopped() {
				t.Fatal("stop before cancel = false")
			}
			if c.Err() != nil || child.Err() != nil {
				t.Fatalf("before cancel: Err = %v, child %v", c.Err(), child.Err())
			}
			c.cancel(context.Canceled)
			c.cancel(errors.New("second cancel is ignored"))
			for _, d := range []<-chan struct{}{early, c.Done(), child.Done(), ran} {
				if d == nil {
					continue
				}
				select {
				case <-d:
				case <-time.After(10 * time.Second):
					t.Fatal("not done after cancel")
				}
			}
			if !errors.Is(c.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
				t.Fatalf("after cancel: Err = %v, child %v", c.Err(), child.Err())
			}
			late := make(chan struct{})
			context.AfterFunc(c, func() { close(late) })
			<-late
		})
	}
}

// A call's deadline ends its context: at once for Err once it has passed,
// through Done and AfterFunc by a timer armed when they are asked for.
func TestCallCtxDeadline(t *testing.T) {
	var cs callCtxs
	past := cs.next(callContext{deadline: time.Now().Add(-time.Second)})
	if !errors.Is(past.Err(), context.DeadlineExceeded) {
		t.Fatalf("past deadline: Err = %v", past.Err())
	}
	dl := time.Now().Add(20 * time.Millisecond)
	soon := cs.next(callContext{deadline: dl})
	if got, ok := soon.Deadline(); !ok || !got.Equal(dl) {
		t.Fatalf("Deadline() = %v, %v", got, ok)
	}
	child, cancel := context.WithCancel(soon)
	defer cancel()
	select {
	case <-child.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("not done after its deadline")
	}
	if !errors.Is(soon.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
		t.Fatalf("after the deadline: Err = %v, child %v", soon.Err(), child.Err())
	}
}

// Each call gets a context of its own, though they come in blocks.
func TestCallCtxsDistinct(t *testing.T) {
	var cs callCtxs
	seen := map[*callCtx]bool{}
	for range 3 * callCtxBlock {
		c := cs.next(callContext{})
		if seen[c] {
			t.Fatal("a callCtx handed out twice")
		}
		seen[c] = true
	}
}

// Contexts derived from a call's context and cancelled leave it, as they
// leave a context.WithCancel parent: a handler that makes one per step
// holds none of them afterwards, and those still waiting are still
// cancelled with the call.
func TestCallCtxForgetsCancelledChildren(t *testing.T) {
	var cs callCtxs
	c := cs.next(callContext{})
	var kept []context.Context
	for i := range 1000 {
		child, cancel := context.WithTimeout(c, time.Hour)
		if i%100 == 0 {
			kept = append(kept, child)
			defer cancel()
			continue
		}
		cancel()
	}
	c.mu.Lock()
	n := len(c.afters)
	c.mu.Unlock()
	if n != len(kept) {
		t.Fatalf("after 1000 derived contexts, %d of them cancelled: %d held; want %d", 1000-len(kept), n, len(kept))
	}
	c.cancel(context.Canceled)
	for i, k := range kept {
		select {
		case <-k.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("kept child %d not cancelled with the call", i)
		}
	}
}

// A finished call's metadata is not kept by the block its context came
// from: the reader's block stays reachable until its last context is
// handed out, and a connection's calls must not pin callCtxBlock times
// MaxMetadataSize there. Metadata of blockMetadata bytes or less may be
// kept; each larger one must be collectable once its call is dropped.
func TestCallCtxsKeepNoLargeMetadata(t *testing.T) {
	var cs callCtxs
	cs.next(callContext{}) // the block exists and is held by cs
	for _, size := range []int{blockMetadata + 1, MaxMetadataSize} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			const calls = 8
			var freed atomic.Int32
			for i := range calls {
				md := bytes.Repeat([]byte{byte('a' + i)}, size)
				c := cs.next(callContext{md: md})
				if c.md.raw != string(md) {
					t.Fatal("the call's metadata is not on its context")
				}
				runtime.AddCleanup(unsafe.StringData(c.md.raw), func(*atomic.Int32) { freed.Add(1) }, &freed)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for freed.Load() < calls && ctx.Err() == nil {
				runtime.GC()
				time.Sleep(10 * time.Millisecond)
			}
			if n := freed.Load(); n < calls {
				t.Fatalf("%d of %d finished calls' metadata still held", calls-int(n), calls)
			}
		})
	}
	runtime.KeepAlive(&cs)
}

// A caller's CANCEL ends the handler's context as context.Canceled, unless
// the call's deadline has passed or is all but due: then the CANCEL is the
// one a caller sends as its deadline passes, and the context ends as the
// deadline's.
func TestCallCtxCancelledByCaller(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		name     string
		deadline time.Time
		want     error
	}{
		{"no deadline", time.Time{}, context.Canceled},
		{"deadline far off", now.Add(time.Hour), context.Canceled},
		{"deadline all but due", now.Add(cancelNearDeadline / 2), context.DeadlineExceeded},
		{"deadline passed", now.Add(-time.Millisecond), context.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var cs callCtxs
			c := cs.next(callContext{deadline: tt.deadline})
			done := c.Done()
			c.cancelled()
			<-done
			if err := c.Err(); err != tt.want {
				t.Fatalf("Err = %v; want %v", err, tt.want)
			}
		})
	}
}
