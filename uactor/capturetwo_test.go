package uactor_test

import (
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Two hosts run the same deployment: each one's actor listens on all
// interfaces at the same port, so the refs both hand out name one address
// (here a name both advertise stands for it, on one machine). A client
// that connects to each, capturing that address, has each ref it receives
// reach the actor the ref names, whichever Connect came last: not the
// other actor, which would refuse it as the wrong one.
func TestCaptureSameAddressTwoActors(t *testing.T) {
	ctx := testCtx(t, 20*time.Second)
	const shared = "tcp://actors.invalid:7001"
	key := []byte("SECRET")
	var actors [2]*Counter
	var refs [2]uactor.Ref[*Counter]
	for i := range refs {
		actors[i] = &Counter{}
		refs[i] = host(t, ctx, CounterKind, actors[i], uactor.Listen("tcp://127.0.0.1:0"), uactor.Advertise(shared), uactor.AuthKey(key))
	}
	for _, r := range refs {
		connectTo(t, ctx, CounterKind, r.Address(), key, uactor.Capture(shared))
	}
	for i, r := range refs {
		c := copyRef(t, r) // as the client receives it: naming the shared address
		if _, err := Add.Call(ctx, c, 1); err != nil {
			t.Fatalf("call through a received ref to actor %d: %v", i, err)
		}
		if n := actors[i].n.Load(); n != 1 {
			t.Fatalf("actor %d counted %d calls; want the one made through its ref", i, n)
		}
	}
}
