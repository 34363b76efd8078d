//go:build linux

package netns

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Link describes the simulated link between any two hosts, each way.
type Link struct {
	Delay time.Duration // one way: the round trip is twice this
	Loss  float64       // the chance that a packet is dropped, 0 to 1
	Rate  int64         // bits per second; 0: as fast as the relay goes
	// Queue bounds the bytes waiting for the link, each way, beyond which
	// packets are dropped (a router's drop-tail queue). Zero: the
	// bandwidth-delay product, at least 64 KiB. Only a Rate makes packets wait.
	Queue int
	// Rule, if set, sees every packet before the loss draw and may decide
	// its fate instead: a deterministic loss (see FirstSYN).
	Rule func(Packet) Fate
}

// Fate is what a Link's Rule decides for a packet.
type Fate uint8

const (
	Chance  Fate = iota // the link's random loss decides
	Dropped             // lost, whatever the draw
	Spared              // delivered, whatever the draw
)

// Packet is an IPv4 packet crossing the link.
type Packet []byte

// Src returns the packet's source address.
func (p Packet) Src() netip.Addr { return netip.AddrFrom4([4]byte(p[12:16])) }

// Dst returns the packet's destination address.
func (p Packet) Dst() netip.Addr { return netip.AddrFrom4([4]byte(p[16:20])) }

// TCP returns the ports and flags of a TCP segment; ok is false for any
// other packet.
func (p Packet) TCP() (srcPort, dstPort uint16, flags byte, ok bool) {
	ihl := int(p[0]&0x0f) * 4
	if p[9] != 6 || len(p) < ihl+14 {
		return 0, 0, 0, false
	}
	t := p[ihl:]
	return binary.BigEndian.Uint16(t[0:]), binary.BigEndian.Uint16(t[2:]), t[13], true
}

// TCP flags.
const (
	flagSYN = 0x02
	flagACK = 0x10
)

// FirstSYN returns a Rule that loses the first SYN of every TCP connection
// opened from one address to another, as a lossy link sometimes does: the
// connection then waits for the SYN's retransmission (one second on
// Linux). The retransmissions are spared the link's random loss, so that
// the wait is exactly one retransmission; every other packet takes its
// chance.
func FirstSYN(from, to netip.Addr) func(Packet) Fate {
	var mu sync.Mutex
	seen := map[[2]uint16]bool{}
	return func(p Packet) Fate {
		sp, dp, flags, ok := p.TCP()
		if !ok || flags&(flagSYN|flagACK) != flagSYN || p.Src() != from || p.Dst() != to {
			return Chance
		}
		mu.Lock()
		defer mu.Unlock()
		k := [2]uint16{sp, dp}
		if seen[k] {
			return Spared
		}
		seen[k] = true
		return Dropped
	}
}

// Stats counts what the link did with the packets it saw.
type Stats struct {
	Delivered, Lost, Dropped, Overflowed, Unroutable int64
}

// relay is the hub of the star: it moves packets between the hosts' TUN
// devices, over one simulated link per ordered pair of hosts.
type relay struct {
	link  Link
	ports map[netip.Addr]*port
	pipes map[[2]netip.Addr]*pipe
	wg    sync.WaitGroup

	delivered, lost, dropped, overflowed, unroutable atomic.Int64
}

// port is one host's TUN device, seen from the relay.
type port struct {
	addr netip.Addr
	dev  interface {
		Read([]byte) (int, error)
		Write([]byte) (int, error)
	}
}

// pipe is one direction of one link: packets wait in it for their time.
type pipe struct {
	to   *port
	mu   sync.Mutex
	free time.Time // when the link has sent everything queued so far
	out  chan timed
}

type timed struct {
	p  Packet
	at time.Time // when it arrives
}

func newRelay(link Link, ports []*port) *relay {
	if link.Queue == 0 {
		link.Queue = max(64<<10, int(link.Rate/8*int64(2*link.Delay)/int64(time.Second)))
	}
	r := &relay{link: link, ports: map[netip.Addr]*port{}, pipes: map[[2]netip.Addr]*pipe{}}
	for _, p := range ports {
		r.ports[p.addr] = p
	}
	for _, a := range ports {
		for _, b := range ports {
			if a != b {
				pp := &pipe{to: b, out: make(chan timed, 1<<14)}
				r.pipes[[2]netip.Addr{a.addr, b.addr}] = pp
				r.wg.Go(func() { r.deliver(pp) })
			}
		}
	}
	return r
}

// serve reads p's packets until its device is closed.
func (r *relay) serve(p *port) {
	buf := make([]byte, 1<<16)
	for {
		n, err := p.dev.Read(buf)
		if err != nil {
			return
		}
		pkt := Packet(buf[:n])
		if n < 20 || pkt[0]>>4 != 4 {
			continue // not IPv4: the hosts' IPv6 chatter has nowhere to go
		}
		pp := r.pipes[[2]netip.Addr{p.addr, pkt.Dst()}]
		fate := Chance
		if pp != nil && r.link.Rule != nil {
			fate = r.link.Rule(pkt)
		}
		switch {
		case pp == nil:
			r.unroutable.Add(1)
		case fate == Dropped:
			r.dropped.Add(1)
		case fate == Chance && r.link.Loss > 0 && rand.Float64() < r.link.Loss:
			r.lost.Add(1)
		default:
			r.send(pp, append(Packet(nil), pkt...))
		}
	}
}

// send queues pkt on pp: it leaves once the link has sent what is ahead of
// it and its own bits, and arrives the link's delay later.
func (r *relay) send(pp *pipe, pkt Packet) {
	now := time.Now()
	pp.mu.Lock()
	defer pp.mu.Unlock()
	sent := now
	if r.link.Rate > 0 {
		// The bytes still waiting are the time the link needs to send them.
		if waiting := pp.free.Sub(now); waiting > 0 && int64(waiting)*r.link.Rate/8/int64(time.Second) > int64(r.link.Queue) {
			r.overflowed.Add(1)
			return
		}
		if pp.free.After(now) {
			sent = pp.free
		}
		sent = sent.Add(time.Duration(int64(len(pkt)) * 8 * int64(time.Second) / r.link.Rate))
		pp.free = sent
	}
	select {
	case pp.out <- timed{p: pkt, at: sent.Add(r.link.Delay)}:
	default:
		r.overflowed.Add(1)
	}
}

// deliver hands pp's packets to their host in order, each at its time.
// Arrival times only grow along one pipe, so a FIFO is a timetable.
func (r *relay) deliver(pp *pipe) {
	for t := range pp.out {
		if d := time.Until(t.at); d > 0 {
			time.Sleep(d)
		}
		if _, err := pp.to.dev.Write(t.p); err == nil {
			r.delivered.Add(1)
		}
	}
}

// close stops the deliveries, once the readers have stopped.
func (r *relay) close() {
	for _, pp := range r.pipes {
		close(pp.out)
	}
	r.wg.Wait()
}

func (r *relay) stats() Stats {
	return Stats{Delivered: r.delivered.Load(), Lost: r.lost.Load(), Dropped: r.dropped.Load(),
		Overflowed: r.overflowed.Load(), Unroutable: r.unroutable.Load()}
}
