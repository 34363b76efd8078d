package wire_test

import (
	"fmt"

	"github.com/uactor-go/uactor/uactor/wire"
)

// Point travels between actors: AppendBinary and UnmarshalBinary are all a
// type needs, and wire keeps them short.
type Point struct {
	X, Y  int64
	Label string
}

func (p Point) AppendBinary(b []byte) ([]byte, error) {
	b = wire.AppendVarint(b, p.X)
	b = wire.AppendVarint(b, p.Y)
	return wire.AppendString(b, p.Label), nil
}

func (p *Point) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	p.X, p.Y, p.Label = r.Varint(), r.Varint(), r.String()
	return r.Close() // the first error met, or ErrTrailing
}

func Example() {
	b, _ := Point{3, -4, "p"}.AppendBinary(nil)
	var p Point
	err := p.UnmarshalBinary(b)
	fmt.Println(p, err, len(b))
	err = p.UnmarshalBinary(b[:2])
	fmt.Println(err)
	// Output:
	// {3 -4 p} <nil> 4
	// wire: input too short: reading uvarint
}
