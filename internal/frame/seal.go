package frame

import (
	"crypto/cipher"
	"encoding/binary"
	"math"
)

// nonceSize is the AEAD nonce size the wire format requires: 4 zero bytes
// followed by the 8-byte sequence number.
const nonceSize = 12

// sealer holds one direction's AEAD state. Each direction has its own
// counter, so the reader and writer of a connection never share one.
type sealer struct {
	aead  cipher.AEAD
	seq   uint64          // sequence number of the next frame
	nonce [nonceSize]byte // scratch space, kept here so sealing does not allocate
}

// set installs a. The sequence counter is deliberately not reset: if the same
// key were installed twice, restarting at 0 would reuse nonces, which breaks
// AES-GCM completely. Both peers switch at the same frame, so the counters
// stay in step either way.
func (s *sealer) set(a cipher.AEAD) {
	if a == nil {
		panic("frame: SetAEAD with nil AEAD")
	}
	if a.NonceSize() != nonceSize {
		panic("frame: SetAEAD needs an AEAD with a 12-byte nonce")
	}
	s.aead = a
}

// overhead is the number of bytes sealing adds to a body.
func (s *sealer) overhead() int {
	if s.aead == nil {
		return 0
	}
	return s.aead.Overhead()
}

// next returns the nonce for the next frame and advances the counter. It
// fails rather than wrap, because a repeated nonce would expose the key.
func (s *sealer) next() ([]byte, error) {
	if s.seq == math.MaxUint64 {
		return nil, ErrSequenceExhausted
	}
	binary.BigEndian.PutUint64(s.nonce[4:], s.seq)
	s.seq++
	return s.nonce[:], nil
}
