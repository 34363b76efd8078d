package msgptest

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// Courier is an actor that refs in messages point at.
type Courier struct{}

// PID returns the courier's process id.
func (*Courier) PID(context.Context, uactor.Empty) (int, error) { return os.Getpid(), nil }

// Shop receives orders and hires couriers. Its spawn argument is a ShopConfig.
type Shop struct {
	cfg ShopConfig

	mu   sync.Mutex
	crew *Crew
}

// Config returns the spawn argument as the shop received it.
func (s *Shop) Config(context.Context, uactor.Empty) (ShopConfig, error) { return s.cfg, nil }

// Place checks the order's courier by calling it from the shop's process,
// then returns the order with its totals filled in.
func (s *Shop) Place(ctx context.Context, o Order) (Order, error) {
	if o.Courier.PID() != 0 {
		if _, err := CourierPID.Call(ctx, o.Courier, uactor.Empty{}); err != nil {
			return o, err
		}
	}
	if o.Totals == nil {
		o.Totals = map[string]float64{}
	}
	for _, l := range o.Lines {
		o.Totals[l.SKU] += float64(l.Qty) * l.Price
	}
	return o, nil
}

// Stamp returns the receipt with the shop's mark on its note.
func (s *Shop) Stamp(_ context.Context, r Receipt) (Receipt, error) {
	r.Note += " / stamped by " + s.cfg.Name
	return r, nil
}

// Hire spawns, once, a crew of couriers listening on loopback TCP with the
// request's key, and returns refs to them.
func (s *Shop) Hire(ctx context.Context, r HireRequest) (Crew, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crew != nil {
		return *s.crew, nil
	}
	if r.Size < 1 {
		return Crew{}, errors.New("a crew needs a courier")
	}
	c := Crew{Hired: time.Now()}
	for range r.Size {
		ref, err := uactor.Spawn(ctx, CourierKind, uactor.Empty{},
			uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey(r.Key))
		if err != nil {
			return Crew{}, err
		}
		c.Members = append(c.Members, ref)
	}
	c.Lead = c.Members[0]
	s.crew = &c
	return c, nil
}

var (
	// CourierKind is the courier's kind.
	CourierKind = uactor.Define("msgptest.courier", func(context.Context, uactor.Empty) (*Courier, error) {
		return &Courier{}, nil
	})
	// CourierPID calls Courier.PID.
	CourierPID = uactor.Expose(CourierKind, "pid", (*Courier).PID)

	// ShopKind is the shop's kind: its spawn argument is a msgp struct.
	ShopKind = uactor.Define("msgptest.shop", func(_ context.Context, cfg ShopConfig) (*Shop, error) {
		return &Shop{cfg: cfg}, nil
	})
	// ShopConfigOf calls Shop.Config.
	ShopConfigOf = uactor.Expose(ShopKind, "config", (*Shop).Config)
	// Place calls Shop.Place.
	Place = uactor.Expose(ShopKind, "place", (*Shop).Place)
	// Stamp calls Shop.Stamp.
	Stamp = uactor.Expose(ShopKind, "stamp", (*Shop).Stamp)
	// Hire calls Shop.Hire.
	Hire = uactor.Expose(ShopKind, "hire", (*Shop).Hire)
)
