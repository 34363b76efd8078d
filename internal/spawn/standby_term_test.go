package spawn

import (
	"context"
	"io"
	"testing"
	"time"
)

// envTermAtBootstrap, set while a standby starts, has SIGTERM reach it
// just as it has read its bootstrap record (see runTestChild).
const envTermAtBootstrap = "SPAWN_TEST_TERM_AT_BOOTSTRAP"

// A standby that a SIGTERM (one sent to the whole process group, say)
// ends as it reads its bootstrap ran nothing of the actor's: Start hands
// the bootstrap to a fresh process, as it does when a standby died before
// it read the record.
func TestStandbyTermAsItReadsBootstrap(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t.Setenv(envTermAtBootstrap, "1")
	t.Cleanup(func() { Standby(context.Background(), 0) })
	if err := Standby(ctx, 1); err != nil {
		t.Fatal(err)
	}
	standbys.mu.Lock()
	standby := standbys.idle[0].PID()
	standbys.mu.Unlock()
	p, _, err := Start(ctx, Config{Kind: "test", Bootstrap: []byte{0xff}, Output: NewRelay(io.Discard, "test", nil)})
	if err != nil {
		t.Fatalf("Start, its standby ended by SIGTERM as it read the bootstrap: %v", err)
	}
	t.Cleanup(func() { p.Stop(0, 5*time.Second) })
	if p.PID() == standby {
		t.Fatalf("the actor runs in the standby %d, which was ended", standby)
	}
}
