package uactor

import (
	"sync/atomic"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
)

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

// startKeepalive sends a PING on w after one silent period (then calls
// pinged, if not nil) and calls dead after two. A zero period means no
// keepalive (nil).
func startKeepalive(period time.Duration, w *frame.Writer, pinged, dead func()) *keepalive {
	if period <= 0 {
		return nil
	}
	k := &keepalive{period: period}
	k.timer = time.AfterFunc(period, func() {
		if k.heard.Swap(false) {
			k.silent = 0
		} else if k.silent++; k.silent == 1 {
			w.WriteFrame(frame.Header{Type: frame.TypePing})
			if pinged != nil {
				pinged()
			}
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
