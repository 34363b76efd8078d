package uactor_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/handshake"
	"github.com/uactor-go/uactor/uactor"
)

// hangUpAfterProof is a connection that its client closes as soon as it
// has written its proof (its second write), before the verdict comes.
type hangUpAfterProof struct {
	net.Conn
	writes int
}

func (c *hangUpAfterProof) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if c.writes++; c.writes == 2 {
		c.Conn.Close()
	}
	return n, err
}

// A key holder that hangs up right after its proof, on an actor with room
// for it, was admitted before its verdict: its slot comes back whether
// the verdict's write failed or its session ended at once, so that many
// of them leave room for a legitimate connection.
func TestProofThenHangUpLeavesNoSlot(t *testing.T) {
	for _, tr := range []struct{ name, listen string }{{"tcp", "tcp://127.0.0.1:0"}, {"unix", ""}} {
		t.Run(tr.name, func(t *testing.T) {
			ctx := testCtx(t, 60*time.Second)
			opts := []uactor.Option{uactor.MaxConnections(2)} // the owner's connection holds one
			if tr.listen != "" {
				opts = append(opts, uactor.Listen(tr.listen))
			}
			r := keyedCounter(t, "SECRET", opts...)
			key := uactor.StretchKey([]byte("SECRET"))
			for range 40 {
				c := &hangUpAfterProof{Conn: dialRaw(t, r.Address())}
				_, err := handshake.Client(c, handshake.ClientConfig{Key: key, Want: handshake.FeatureSeal, Deadline: time.Now().Add(5 * time.Second)})
				if err == nil {
					t.Fatal("a handshake closed after its proof succeeded")
				}
			}
			var last error
			for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
				c, err := uactor.Connect(ctx, CounterKind, r.Address(), []byte("SECRET"))
				if err == nil {
					c.Close()
					return
				}
				if last = err; !errors.Is(err, uactor.ErrBusy) {
					t.Fatalf("Connect: %v", err)
				}
			}
			t.Fatalf("Connect after the hang-ups: %v; want the slot they held back", last)
		})
	}
}
