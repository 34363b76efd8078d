package uactor

import (
	"testing"

	"github.com/uactor-go/uactor/internal/conntest"
)

// The owner's private connection is served even when key holders took
// every MaxConnections slot first: a spawned actor listens before its
// process serves the owner, and a ref that reconnects to a restarting
// actor at a fixed address can get in between. It still counts toward the
// bound for those that come after.
func TestOwnerServedPastMaxConnections(t *testing.T) {
	s := servedServer(t, MaxConnections(1))
	taken, _ := conntest.Unix(t)
	s.mu.Lock()
	s.conns[taken] = struct{}{} // a key holder's connection, admitted first
	s.mu.Unlock()
	cl, srv := conntest.Unix(t)
	s.serveOwner(srv)
	got := answerTo(cl, 1)
	if _, err := cl.Write(callFrames(1, []byte("owner"), "echo")); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, got, "the owner's call with every slot taken")
}
