package registry

import (
	"fmt"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Picked is what Pick answers: the address of a live actor, or OK false
// when the registry has none (uActor's None).
type Picked struct {
	Address string // the picked actor's address; empty when OK is false
	OK      bool   // whether the registry had an actor to pick
}

// AppendBinary implements encoding.BinaryAppender.
func (p Picked) AppendBinary(b []byte) ([]byte, error) {
	b = wire.AppendBool(b, p.OK)
	return wire.AppendString(b, p.Address), nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (p *Picked) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	ok, addr := r.Bool(), r.String()
	if err := r.Close(); err != nil {
		return fmt.Errorf("%w: registry.Picked: %w", uactor.ErrDecode, err)
	}
	*p = Picked{Address: addr, OK: ok}
	return nil
}
