//go:build linux

package netns

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
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
	nw := New(t, 2, Link{Delay: time.Millisecond, Rule: FirstSYN(HostAddr(0), HostAddr(1))})
	addr := listen(t, nw.Hosts[1])
	for i := range 2 {
		connect, _ := dial(t, nw.Hosts[0], addr, 10)
		if connect < 900*time.Millisecond {
			t.Fatalf("connection %d set up in %v: want about 1 s, the SYN's retransmission", i, connect)
		}
	}
	dial(t, nw.Hosts[1], listen(t, nw.Hosts[0]), 10) // the other direction: nothing lost
	if d := nw.Stats().Dropped; d != 2 {
		t.Fatalf("%d packets dropped; want 2, the first SYN of each connection from host 0 to host 1", d)
	}
}

// FirstSYN decides only for SYNs from one address to another: the first
// of each connection is dropped, its retransmissions are spared the
// link's loss, and everything else takes its chance.
func TestFirstSYNRule(t *testing.T) {
	a, b, c := HostAddr(0), HostAddr(1), HostAddr(2)
	rule := FirstSYN(a, b)
	for _, step := range []struct {
		name string
		pkt  Packet
		want Fate
	}{
		{"first SYN", tcpPacket(a, b, 40000, 80, flagSYN), Dropped},
		{"its retransmission", tcpPacket(a, b, 40000, 80, flagSYN), Spared},
		{"and the next", tcpPacket(a, b, 40000, 80, flagSYN), Spared},
		{"another connection's first SYN", tcpPacket(a, b, 40001, 80, flagSYN), Dropped},
		{"the SYN-ACK back", tcpPacket(b, a, 80, 40000, flagSYN|flagACK), Chance},
		{"an ACK", tcpPacket(a, b, 40000, 80, flagACK), Chance},
		{"a SYN the other way", tcpPacket(b, a, 50000, 80, flagSYN), Chance},
		{"a SYN to another host", tcpPacket(a, c, 40002, 80, flagSYN), Chance},
		{"not TCP", udpPacket(a, b), Chance},
	} {
		if got := rule(step.pkt); got != step.want {
			t.Errorf("%s: %v; want %v", step.name, got, step.want)
		}
	}
}

// A packet a Rule spares is delivered even on a link that loses every
// other packet.
func TestRuleSpares(t *testing.T) {
	nw := New(t, 2, Link{Delay: time.Millisecond, Loss: 1, Rule: func(Packet) Fate { return Spared }})
	dial(t, nw.Hosts[0], listen(t, nw.Hosts[1]), 1<<10)
	if s := nw.Stats(); s.Lost != 0 || s.Delivered == 0 {
		t.Fatalf("stats %+v; want every packet delivered", s)
	}
}

// tcpPacket is a bare IPv4 header and the first 14 bytes of a TCP header.
func tcpPacket(src, dst netip.Addr, sport, dport uint16, flags byte) Packet {
	p := make(Packet, 20+20)
	p[0], p[9] = 0x45, 6
	s, d := src.As4(), dst.As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	binary.BigEndian.PutUint16(p[20:], sport)
	binary.BigEndian.PutUint16(p[22:], dport)
	p[33] = flags
	return p
}

// udpPacket is a bare IPv4 header carrying UDP.
func udpPacket(src, dst netip.Addr) Packet {
	p := tcpPacket(src, dst, 1, 2, 0)
	p[9] = 17
	return p
}

// Under loss, TCP still gets every byte across.
func TestLinkLoss(t *testing.T) {
	nw := New(t, 2, Link{Delay: time.Millisecond, Loss: 0.05})
	dial(t, nw.Hosts[0], listen(t, nw.Hosts[1]), 1<<20)
	if nw.Stats().Lost == 0 {
		t.Fatal("a 5% loss lost nothing")
	}
}
