package uactor

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// waitFor runs waitReadable on nc's descriptor for d in the background;
// the channel closes when it returns.
func waitFor(t *testing.T, nc net.Conn, d time.Duration) <-chan struct{} {
	t.Helper()
	rc, err := nc.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		rc.Control(func(fd uintptr) { waitReadable(fd, d) })
	}()
	t.Cleanup(func() { <-done })
	return done
}

// A wait in the kernel ends as soon as the socket has something to read, or
// its peer is gone; with neither, it lasts as long as it was asked to.
func TestWaitReadable(t *testing.T) {
	ends := []struct {
		name string
		peer func(net.Conn) // what the peer does, 20 ms into the wait
	}{
		{"a byte arrives", func(b net.Conn) { b.Write([]byte("x")) }},
		{"the peer closes", func(b net.Conn) { b.Close() }},
	}
	for _, network := range []string{"unix", "tcp"} {
		for _, e := range ends {
			t.Run(network+"/"+e.name, func(t *testing.T) {
				a, b := connPair(t, network)
				done := waitFor(t, a, 20*time.Second)
				time.Sleep(20 * time.Millisecond)
				e.peer(b)
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatalf("the wait did not end when %s", e.name)
				}
			})
		}
		t.Run(network+"/nothing", func(t *testing.T) {
			a, _ := connPair(t, network)
			const d = 30 * time.Millisecond
			start := time.Now()
			<-waitFor(t, a, d)
			if waited := time.Since(start); waited < d {
				t.Fatalf("waited %v with nothing to read; want at least %v", waited, d)
			}
		})
	}
}
