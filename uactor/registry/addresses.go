package registry

import (
	"fmt"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Addresses is a list of actor addresses as Ref.Address reports them
// ("tcp://host:port", "unix:///path/to/socket"; a plain "host:port" is TCP).
// It travels between processes as a count and then each string.
type Addresses []string

// AppendBinary implements encoding.BinaryAppender.
func (a Addresses) AppendBinary(b []byte) ([]byte, error) {
	b = wire.AppendUvarint(b, uint64(len(a)))
	for _, s := range a {
		b = wire.AppendString(b, s)
	}
	return b, nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (a *Addresses) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	n := r.Uvarint()
	// Every string takes at least its length byte: a count beyond the bytes
	// left is a lie, and must not size an allocation.
	if n > uint64(r.Len()) {
		return fmt.Errorf("%w: registry.Addresses: %d addresses in %d bytes", uactor.ErrDecode, n, r.Len())
	}
	var out Addresses
	if n > 0 {
		out = make(Addresses, 0, n)
	}
	for range n {
		out = append(out, r.String())
	}
	if err := r.Close(); err != nil {
		return fmt.Errorf("%w: registry.Addresses: %w", uactor.ErrDecode, err)
	}
	*a = out
	return nil
}
