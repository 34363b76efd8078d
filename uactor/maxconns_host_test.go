package uactor_test

import (
	"errors"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Host's own ref reaches its actor over a connection like any client's:
// while other clients fill MaxConnections its calls are refused as busy,
// and once one of them leaves it is served again. It does not give up on
// an actor that its own process hosts.
func TestHostRefToFullActorRecovers(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	key := []byte("SECRET")
	r := host(t, ctx, CounterKind, &Counter{}, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey(key),
		uactor.MaxConnections(1), uactor.DialTimeout(300*time.Millisecond))
	other, err := uactor.Connect(ctx, CounterKind, r.Address(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Add.Call(ctx, r, 1); !errors.Is(err, uactor.ErrBusy) {
		other.Close()
		t.Fatalf("the host's call while another client fills the bound = %v; want ErrBusy", err)
	}
	other.Close() // makes room
	var last error
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		n, err := Add.Call(ctx, r, 1)
		if err == nil {
			if n != 1 {
				t.Fatalf("the host's call once there is room: %d", n)
			}
			if isDone(r) {
				t.Fatalf("the host's ref is done: %v", r.Err())
			}
			return
		}
		last = err
	}
	t.Fatalf("the host's call once there is room: %v; want it served", last)
}
