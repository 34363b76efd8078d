//go:build linux

package netns

import (
	"io"
	"net"
	"testing"
	"time"
)

// listen serves a TCP echo in h until the test ends, and returns its address.
func listen(t *testing.T, h *Host) string {
	t.Helper()
	var ln net.Listener
	if err := h.Do(func() (err error) {
		ln, err = net.Listen("tcp", h.Addr.String()+":0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// dial connects from h to addr, echoes n bytes, and returns how long the
// connection set-up and the echo took.
func dial(t *testing.T, h *Host, addr string, n int) (connect, echo time.Duration) {
	t.Helper()
	err := h.Do(func() error {
		start := time.Now()
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		connect = time.Since(start)
		start = time.Now()
		go c.Write(make([]byte, n))
		if _, err := io.ReadFull(c, make([]byte, n)); err != nil {
			return err
		}
		echo = time.Since(start)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return connect, echo
}

// A connection between two hosts takes a round trip to set up, and a
// transfer at the link's rate takes its serialization time.
func TestLinkDelayAndRate(t *testing.T) {
	const delay, rate, size = 10 * time.Millisecond, 8 << 20, 256 << 10 // 1 MiB/s: 250 ms each way
	nw := New(t, 2, Link{Delay: delay, Rate: rate})
	addr := listen(t, nw.Hosts[1])
	connect, echo := dial(t, nw.Hosts[0], addr, size)
	if connect < 2*delay {
		t.Fatalf("connected in %v, below one round trip (%v)", connect, 2*delay)
	}
	if min := time.Duration(size*8) * time.Second / rate; echo < min { // both ways at once: an echo pipelines
		t.Fatalf("echoed %d bytes in %v: faster than the link's rate allows (%v)", size, echo, min)
	}
	if s := nw.Stats(); s.Lost+s.Dropped != 0 || s.Delivered == 0 {
		t.Fatalf("stats %+v", s)
	}
}

// FirstSYN loses the first SYN of each connection, and only that.
func TestFirstSYNDelaysConnect(t *testing.T) {
	nw := New(t, 2, Link{Delay: time.Millisecond, Drop: FirstSYN(HostAddr(0), HostAddr(1))})
	addr := listen(t, nw.Hosts[1])
	for i := range 2 {
		connect, _ := dial(t, nw.Hosts[0], addr, 10)
		if connect < 900*time.Millisecond {
			t.Fatalf("connection %d set up in %v: want about 1 s, the SYN's retransmission", i, connect)
		}
	}
	if _, echo := dial(t, nw.Hosts[1], listen(t, nw.Hosts[0]), 10); echo > 900*time.Millisecond {
		t.Fatalf("the other direction lost a packet too")
	}
	if d := nw.Stats().Dropped; d != 2 {
		t.Fatalf("%d packets dropped; want 2, the first SYN of each connection", d)
	}
}

// Under loss, TCP still gets every byte across.
func TestLinkLoss(t *testing.T) {
	nw := New(t, 2, Link{Delay: time.Millisecond, Loss: 0.05})
	dial(t, nw.Hosts[0], listen(t, nw.Hosts[1]), 1<<20)
	if nw.Stats().Lost == 0 {
		t.Fatal("a 5% loss lost nothing")
	}
}
