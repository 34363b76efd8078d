// Package msgptest holds structs whose codecs msgp generated, and tests
// that they travel between actor processes as requests, responses and
// spawn arguments, refs inside them included. It is a module of its own,
// so that the core module never depends on msgp.
package msgptest

import (
	"time"

	"github.com/uactor-go/uactor/uactor"
)

//go:generate go run github.com/tinylib/msgp@v1.6.5 -io=false -tests=false

// Order is a request and a response: nested structs, a pointer, slices,
// maps, times, bytes and a ref.
type Order struct {
	ID       int64
	Customer *Customer // nil or not
	Lines    []Line
	Totals   map[string]float64
	Notes    map[string][]string
	Placed   time.Time
	Courier  uactor.Ref[*Courier]
	Raw      []byte
}

// Customer is nested in Order through a pointer.
type Customer struct {
	Name  string
	Since time.Time
	Tags  []string
}

// Line is nested in Order by value, in a slice.
type Line struct {
	SKU   string
	Qty   int
	Price float64
}

// ShopConfig is a spawn argument with a nested struct and refs.
type ShopConfig struct {
	Name     string
	Owner    Customer
	Couriers []uactor.Ref[*Courier]
}

// Crew is a response holding refs to actors that the shop spawned.
type Crew struct {
	Lead    uactor.Ref[*Courier]
	Members []uactor.Ref[*Courier]
	Hired   time.Time
}

// HireRequest asks the shop for a crew of couriers with their own key.
type HireRequest struct {
	Key  []byte
	Size int
}

// Receipt embeds time.Time, so it has time.Time's binary methods too,
// promoted: it travels by the MessagePack methods msgp generated for it,
// which keep its other fields.
type Receipt struct {
	time.Time
	Order int64
	Note  string
}
