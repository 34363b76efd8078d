package uactor

import (
	"net"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/hmac"
	"sync/atomic"
	"time"
)

// handshakeDeadline is when a handshake that starts now must be over.
func handshakeDeadline(o options) time.Time { return time.Now().Add(o.handshake) }

// features is what this end asks for in the handshake: sealing (unless
// turned off), and zstd, which every end can decompress unless it refuses.
// Sealing is on for Unix sockets too: a ref, a registry entry or any address
// in a message can send a client to a relay, and only sealing keeps what it
// relays from being read or added to.
func features(o options) hmac.Features {
	var f hmac.Features
	if o.seal != sealNever {
		f |= hmac.FeatureSeal
	}
	if o.compress >= 0 {
		f |= hmac.FeatureZstd
	}
	return f
}

// agree sets a connection's reader and writer up as the handshake agreed:
// sealed both ways or not; compressed frames accepted if zstd was agreed,
// and sent if this end also asked to compress.
func agree(sess *hmac.Session, r *frame.Reader, w *frame.Writer, o options) {
	if sess.ReadAEAD != nil {
		r.SetAEAD(sess.ReadAEAD)
		w.SetAEAD(sess.WriteAEAD)
	}
	if sess.Features&hmac.FeatureZstd != 0 {
		r.SetDecompression(true)
		if o.compress > 0 {
			w.SetCompression(o.compress)
		}
	}
}

// deadlineConn bounds every write with a deadline, so that a peer that
// stops reading cuts the connection off instead of holding a writer, and
// what queues behind it, for ever. Setting a deadline costs a runtime timer
// update, so it is moved only once half the timeout has passed since it was
// last set: a write then has at least half the timeout, and at most all of
// it. Writes come from one goroutine at a time (frame.Writer's flusher).
type deadlineConn struct {
	net.Conn
	timeout time.Duration
	renew   time.Time // when the deadline set last is due to be moved
}

func withWriteTimeout(c net.Conn, d time.Duration) net.Conn {
	if d <= 0 {
		return c
	}
	return &deadlineConn{Conn: c, timeout: d}
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if now := time.Now(); !now.Before(c.renew) {
		c.Conn.SetWriteDeadline(now.Add(c.timeout))
		c.renew = now.Add(c.timeout / 2)
	}
	return c.Conn.Write(b)
}

// keepaliveFrame answers a PING frame and drops a PONG, its answer.
func keepaliveFrame(w *frame.Writer, h frame.Header, buf *frame.Buffer) {
	buf.Release()
	if h.Type == frame.TypePing {
		w.WriteFrame(frame.Header{Type: frame.TypePong, ID: h.ID})
	}
}

// keepalive watches a connection for silence: every period it checks
// whether a frame arrived since the last check; after one silent period it
// pings, after two it gives up. It costs a timer per connection, no goroutine.
type keepalive struct {
	period time.Duration
	heard  atomic.Bool // a frame arrived since the last tick
	silent int         // ticks without a frame; only the timer touches it
	timer  *time.Timer
}

// startKeepalive calls ping after one silent period and dead after two.
// A zero period means no keepalive (nil).
func startKeepalive(period time.Duration, ping, dead func()) *keepalive {
	if period <= 0 {
		return nil
	}
	k := &keepalive{period: period}
	k.timer = time.AfterFunc(period, func() {
		if k.heard.Swap(false) {
			k.silent = 0
		} else if k.silent++; k.silent == 1 {
			ping()
		} else {
			dead()
			return
		}
		k.timer.Reset(k.period)
	})
	return k
}

// saw records that a frame arrived.
func (k *keepalive) saw() {
	if k != nil {
		k.heard.Store(true)
	}
}

func (k *keepalive) stop() {
	if k != nil {
		k.timer.Stop()
	}
}
