package uactor_test

import (
	"errors"
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
