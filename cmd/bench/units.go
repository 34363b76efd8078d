package main

// unit is one step of a scale: a value of at least size is shown divided by
// size, followed by name.
type unit struct {
	size float64
	name string
}

// The scales the tables and charts show values in, largest unit first, so
// that every formatter switches unit at the same points.
var (
	durUnits  = []unit{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}, {1, "ns"}} // of nanoseconds
	rateUnits = []unit{{1e6, "M"}, {1e3, "k"}, {1, ""}}                 // of calls per second
)

// scaled returns v in the largest unit of scale that it reaches (the
// smallest if it reaches none), and that unit's name.
func scaled(v float64, scale []unit) (float64, string) {
	u := scale[len(scale)-1]
	for _, big := range scale {
		if v >= big.size {
			u = big
			break
		}
	}
	return v / u.size, u.name
}
