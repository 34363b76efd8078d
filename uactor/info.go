package uactor

import (
	"context"
	"fmt"
	"os"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/keyring"
	"github.com/uactor-go/uactor/uactor/wire"
)

// infoMethod is the built-in method that tells a connecting process which
// actor it reached.
const infoMethod = "uactor.info"

var infoPrefix = callPrefix(infoMethod)

// info is the answer to the built-in "uactor.info" method, which Connect
// calls to learn what it reached.
func (s *server) info() []byte {
	b := wire.AppendString(nil, s.kind.name)
	b = append(b, s.id[:]...)
	b = wire.AppendString(b, s.adv)
	return wire.AppendUvarint(b, uint64(os.Getpid()))
}

// actorInfo is what the info method tells.
type actorInfo struct {
	kind      string
	id        uuid.UUID
	advertise string
	pid       int
	keyID     keyring.KeyID // the actor's id for the key (from the handshake)
}

// fetchInfo asks the actor behind h what it is (the built-in info method).
func fetchInfo(ctx context.Context, h *handle) (actorInfo, error) {
	c, err := h.peer.conn(ctx)
	if err != nil {
		return actorInfo{}, err // already says what failed where
	}
	// Connect is not a call: what the caller's calls carry (metadata of
	// its own, or of the call it handles) is not the actor's to see, and
	// must not fail it. Its deadline still bounds the info call.
	buf, err := c.roundTrip(withoutMetadata{ctx}, infoMethod, infoPrefix, nil)
	if err != nil {
		return actorInfo{}, errorf("uactor: Connect(%s): %w", h.addr, err)
	}
	defer buf.Release()
	inf, err := decodeInfo(buf.B)
	if err == nil && inf.id != c.actorID {
		// One actor serves an address: a ref made of the two would fail
		// its every call as reaching the wrong actor.
		err = fmt.Errorf("%w: info names actor %s, the handshake %s", ErrProtocol, inf.id, c.actorID)
	}
	if err != nil {
		return actorInfo{}, errorf("uactor: Connect(%s): %w", h.addr, err)
	}
	inf.keyID = c.keyID
	return inf, nil
}

// decodeInfo reads the info method's answer (all but the key id, which
// the handshake tells).
func decodeInfo(b []byte) (actorInfo, error) {
	r := wire.NewReader(b)
	inf := actorInfo{kind: r.String()}
	copy(inf.id[:], r.Raw(16))
	inf.advertise = r.String()
	pid := r.Uvarint()
	if err := r.Close(); err != nil {
		return actorInfo{}, fmt.Errorf("%w: info: %w", ErrProtocol, err)
	}
	if pid > maxPID {
		return actorInfo{}, fmt.Errorf("%w: info: process id %d out of range", ErrProtocol, pid)
	}
	inf.pid = int(pid)
	return inf, nil
}

// withoutMetadata is a context whose calls carry no metadata.
type withoutMetadata struct{ context.Context }

func (c withoutMetadata) Value(key any) any {
	if key == (metadataKey{}) {
		return nil
	}
	return c.Context.Value(key)
}
