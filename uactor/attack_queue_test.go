package uactor_test

// An actor that announces no window, as only a hostile one does, and reads
// nothing: the client's queue of requests must stay bounded, and calls past
// the bound must wait with their own contexts.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/uactor"
)

// Large calls to an actor that announces no window and reads nothing used
// to be queued at the client without bound, each call waiting on the
// Writer's lock while the others copied theirs, past its own deadline.
// Past ConnBuffer's bytes a call now waits with its context, and one that
// gives up there never reaches the actor. The actor reads once every call
// has given up, up to a last call made after them: the large requests
// before it are those the client let in.
func TestAttackNoWindowQueueBounded(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	ln := listenUnix(t)
	key := []byte("no window key")
	const calls, size, bound = 20, 4 << 20, 16 << 20

	read := make(chan int, 1)     // large requests before the last call
	failed := make(chan error, 1) // the actor's trouble
	gaveUp := make(chan struct{}) // every large call has returned
	go func() {
		c, err := acceptInfo(ln, key, 30*time.Second) // announces window 0
		if err != nil {
			failed <- err
			return
		}
		defer c.Close()
		<-gaveUp
		n := 0
		for {
			f, err := readPlainFrame(c, false)
			if err != nil {
				failed <- err
				return
			}
			if f.typ != frame.TypeCall {
				continue
			}
			if len(f.payload) < size {
				read <- n
				return
			}
			n++
		}
	}()

	// With a call slot each, the last call goes only if the calls that
	// gave up at the bound gave theirs back.
	r, err := uactor.Connect(ctx, CounterKind, "unix://"+ln.Addr().String(), key,
		uactor.Sealed(false), uactor.ConnBuffer(bound), uactor.MaxInFlight(calls))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	errs := make(chan error, calls)
	for range calls {
		go func() {
			callCtx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			_, err := Echo.Call(callCtx, r, make([]byte, size))
			errs <- err
		}()
	}
	for range calls {
		if err := receive(t, errs, 30*time.Second, "a large call's end"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("a large call to an actor that reads nothing: %v; want its deadline", err)
		}
	}
	close(gaveUp)
	lastCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go Add.Call(lastCtx, r, 1)
	select {
	case n := <-read:
		t.Logf("%d of %d large requests reached the actor", n, calls)
		if most := bound/size + 1; n > most {
			t.Errorf("%d large requests were queued for an actor that reads nothing; want at most %d, ConnBuffer's", n, most)
		}
	case err := <-failed:
		t.Fatalf("the actor: %v", err)
	case <-ctx.Done():
		t.Fatal("the actor read no last call")
	}
}
