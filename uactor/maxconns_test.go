package uactor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// An actor at its MaxConnections bound (here its owner's connection fills
// it) refuses a key holder's connection and says why: Connect fails with
// ErrBusy, not as if the actor had died, and the actor serves on.
func TestConnectToFullActorIsBusy(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	r := tcpCounter(t, "tcp://127.0.0.1:0", uactor.MaxConnections(1))
	for range 2 { // and again: the refusal leaves nothing behind
		c, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("SECRET"))
		if err == nil {
			c.Close()
			t.Fatal("Connect to a full actor succeeded")
		}
		if !errors.Is(err, uactor.ErrBusy) || errors.Is(err, uactor.ErrActorDied) {
			t.Fatalf("Connect to a full actor = %v; want ErrBusy, not ErrActorDied", err)
		}
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the owner's call afterwards: %d, %v", n, err)
	}
}

// lineCounter counts the lines written to it that hold a marker.
type lineCounter struct {
	mu     sync.Mutex
	marker []byte
	n      int
}

func (w *lineCounter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n += bytes.Count(b, w.marker)
	return len(b), nil
}

func (w *lineCounter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// A ref copy received in a message, naming an actor at its MaxConnections
// bound, does not hammer it: it dials again with backoff, not a handshake
// after another for as long as it lives, until DialTimeout, when its
// actor counts as gone (Ref.Done) with an error that says it was full;
// and the actor records the refusals at a bounded rate. The relay counts
// the connections the ref made.
func TestRefToFullActorBacksOff(t *testing.T) {
	parallel(t) // its time goes in waiting
	ctx := testCtx(t, 60*time.Second)
	p := freePort(t)
	rl := startRelay(t, "tcp://127.0.0.1:"+p, nil)
	refusals := &lineCounter{marker: []byte("MaxConnections reached")}
	r := tcpCounter(t, "tcp://127.0.0.1:"+p, uactor.MaxConnections(1), uactor.Advertise("tcp://"+rl.addr()),
		uactor.Logger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))), uactor.Output(refusals))
	named := copyRef(t, r)                                   // as a process that received it in a message has it
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second) // past the default DialTimeout
	defer cancel()
	if _, err := Add.Call(cctx, named, 1); !errors.Is(err, uactor.ErrBusy) {
		t.Errorf("a call through the copy = %v; want ErrBusy", err)
	} else if !errors.Is(err, uactor.ErrActorDied) || !isDone(named) || !errors.Is(named.Err(), uactor.ErrBusy) {
		t.Errorf("after DialTimeout: call = %v, Done closed %v, Err %v; want the actor counted gone, full", err, isDone(named), named.Err())
	}
	time.Sleep(time.Second) // what the ref does meanwhile
	// Backing off from 10 ms up to 250 ms, a DialTimeout of 5 s has room
	// for about 25 dials; a ref that does not wait makes thousands.
	if n := rl.accepted.Load(); n > 50 {
		t.Errorf("the ref dialled the full actor %d times", n)
	}
	// At most one record a second, and a few more for the records' way out.
	if n := refusals.count(); n > 12 {
		t.Errorf("the actor recorded %d refusals", n)
	}
	if n, err := Add.Call(ctx, r, 1); err != nil || n != 1 {
		t.Fatalf("the owner's call afterwards: %d, %v", n, err)
	}
}
