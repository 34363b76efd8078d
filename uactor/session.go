package uactor

import (
	"math"
	"time"

	"github.com/uactor-go/uactor/internal/frame"
	"github.com/uactor-go/uactor/internal/handshake"
)

// handshakeDeadline is when a handshake that starts now must be over.
func handshakeDeadline(o options) time.Time { return time.Now().Add(o.handshake) }

// features is what this end asks for in the handshake: sealing (unless
// turned off), and zstd, which every end can decompress unless it refuses.
// Sealing is on for Unix sockets too: a ref, a registry entry or any address
// in a message can send a client to a relay, and only sealing keeps what it
// relays from being read or added to.
func features(o options) handshake.Features {
	var f handshake.Features
	if o.seal != sealNever {
		f |= handshake.FeatureSeal
	}
	if o.compress >= 0 {
		f |= handshake.FeatureZstd
	}
	return f
}

// window is the request window an actor announces: its ConnBuffer, which
// a client keeps the requests of its unfinished calls within.
func window(o options) uint32 {
	return uint32(min(uint64(o.connBuffer), math.MaxUint32))
}

// agree sets a connection's reader and writer up as the handshake agreed:
// sealed both ways or not; compressed frames accepted if zstd was agreed,
// and sent if this end also asked to compress; no frame sent larger than
// the peer reads (no end reads less than the smallest MaxFrameSize), so
// that a message too large fails its own call, not the connection.
func agree(sess *handshake.Session, r *frame.Reader, w *frame.Writer, o options) {
	if m := sess.PeerMaxFrame; m > 0 && uint64(m) < uint64(o.maxFrame) {
		w.LimitSize(max(int(m), minFrameSize))
	}
	if sess.ReadAEAD != nil {
		r.SetAEAD(sess.ReadAEAD)
		w.SetAEAD(sess.WriteAEAD)
	}
	if sess.Features&handshake.FeatureZstd != 0 {
		r.SetDecompression(true)
		if o.compress > 0 {
			w.SetCompression(o.compress)
		}
	}
}
