package uactor

import (
	"testing"
	"time"
)

// A call through a ref other than the owner's (a copy, or here one from
// Connect) whose request reached no connection (the connection was dead
// by the time it was written, and nothing had noticed yet) was never run
// by the actor: it is sent again over a new connection, as a call made a
// moment later would be, instead of failing with ErrActorDied. The
// connection is made dead here by shutting its writing side, which the
// next write meets as a broken pipe, as it would a killed peer's socket.
func TestCopyResendsACallThatReachedNoConnection(t *testing.T) {
	ctx, _, connect := hostedSleeper(t)
	cp := connect()
	if _, err := sleepM.Call(ctx, cp, 0); err != nil {
		t.Fatal(err)
	}
	c := cp.h.peer.cur.Load()
	if c == nil {
		t.Fatal("the copy holds no connection after a call")
	}
	cw, ok := c.nc.(interface{ CloseWrite() error })
	if !ok {
		t.Fatalf("%T cannot shut its writing side", c.nc)
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	// Used just now, as far as usable knows: it does not probe the
	// connection, which would find the actor's end closed by now.
	c.mu.Lock()
	c.lastUse = time.Now()
	c.mu.Unlock()
	if _, err := sleepM.Call(ctx, cp, 0); err != nil {
		t.Fatalf("a call written to a connection already dead = %v; want it sent again over a new one", err)
	}
	if !c.broken.Load() {
		t.Error("the dead connection is not marked broken")
	}
}
