package msgptest

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

func TestMain(m *testing.M) {
	uactor.Main()
	os.Exit(m.Run())
}

func spawn[A, Arg any](t *testing.T, ctx context.Context, k *uactor.Kind[A, Arg], arg Arg) uactor.Ref[A] {
	t.Helper()
	r, err := uactor.Spawn(ctx, k, arg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// sameCustomer compares times with Equal: msgp decodes them in the local zone.
func sameCustomer(a, b *Customer) bool {
	return a.Name == b.Name && a.Since.Equal(b.Since) && reflect.DeepEqual(a.Tags, b.Tags)
}

// sameRef reports whether two refs name the same actor process.
func sameRef(a, b uactor.Ref[*Courier]) bool { return a.Address() == b.Address() && a.PID() == b.PID() }

// msgp structs with nested structs, a pointer, slices, maps, times, bytes
// and refs, as spawn argument, request and response, across processes.
func TestStructsAcrossProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	courier := spawn(t, ctx, CourierKind, uactor.Empty{})
	since := time.Date(2020, 2, 29, 12, 0, 0, 1, time.UTC)
	cfg := ShopConfig{Name: "corner", Owner: Customer{Name: "Ada", Since: since, Tags: []string{"owner"}},
		Couriers: []uactor.Ref[*Courier]{courier, {}}}
	shop := spawn(t, ctx, ShopKind, cfg)

	got, err := ShopConfigOf.Call(ctx, shop, uactor.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != cfg.Name || !sameCustomer(&got.Owner, &cfg.Owner) || len(got.Couriers) != 2 ||
		!sameRef(got.Couriers[0], courier) || got.Couriers[1].PID() != 0 {
		t.Fatalf("spawn argument came back as %+v", got)
	}
	// A ref that went to the shop in its spawn argument and back still reaches its actor.
	if pid, err := CourierPID.Call(ctx, got.Couriers[0], uactor.Empty{}); err != nil || pid != courier.PID() {
		t.Fatalf("courier via the shop's config: %d, %v; want %d", pid, err, courier.PID())
	}

	order := Order{
		ID:       -7,
		Customer: &Customer{Name: "Bob", Since: since.Add(time.Hour), Tags: []string{"new", "ü"}},
		Lines:    []Line{{"apple", 3, 0.5}, {"pear", 1, 2.25}, {"apple", 1, 0.5}},
		Notes:    map[string][]string{"door": {"ring", "twice"}, "empty": nil},
		Placed:   since.Add(-time.Minute),
		Courier:  courier, // the shop calls it from its own process
		Raw:      []byte{0, 1, 0xc1},
	}
	back, err := Place.Call(ctx, shop, order)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != order.ID || !sameCustomer(back.Customer, order.Customer) || !reflect.DeepEqual(back.Lines, order.Lines) ||
		!reflect.DeepEqual(back.Notes, order.Notes) || !back.Placed.Equal(order.Placed) || string(back.Raw) != string(order.Raw) {
		t.Fatalf("order came back as %+v", back)
	}
	if want := map[string]float64{"apple": 2, "pear": 2.25}; !reflect.DeepEqual(back.Totals, want) {
		t.Fatalf("totals %v; want %v", back.Totals, want)
	}
	if !sameRef(back.Courier, courier) {
		t.Fatalf("courier ref came back as %s/%d", back.Courier.Address(), back.Courier.PID())
	}
	// The nil pointer and the zero ref stay nil and zero.
	back, err = Place.Call(ctx, shop, Order{ID: 1})
	if err != nil || back.Customer != nil || back.Courier.PID() != 0 || len(back.Totals) != 0 {
		t.Fatalf("an empty order came back as %+v, %v", back, err)
	}
}

// The forwarded-ref rules hold for refs inside msgp structs: a crew of
// couriers with a key this process lacks fails to decode with
// *AuthKeyError; once Connect (with Capture) teaches the key, the same
// response decodes and its refs work; when that connection closes, the
// key is forgotten again.
func TestRefFieldsNeedTheirKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	shop := spawn(t, ctx, ShopKind, ShopConfig{Name: "remote"})
	key := make([]byte, 32)
	rand.Read(key)
	req := HireRequest{Key: key, Size: 2}

	_, err := Hire.Call(ctx, shop, req)
	var ake *uactor.AuthKeyError
	if !errors.As(err, &ake) || !errors.Is(err, uactor.ErrAuthKey) || !strings.HasPrefix(ake.Address, "tcp://127.0.0.1:") {
		t.Fatalf("Hire without the crew's key: %v; want *AuthKeyError", err)
	}
	conn, err := uactor.Connect(ctx, CourierKind, strings.TrimPrefix(ake.Address, "tcp://"), key, uactor.Capture(ake.Address))
	if err != nil {
		t.Fatal(err)
	}
	crew, err := Hire.Call(ctx, shop, req)
	if err != nil {
		t.Fatalf("Hire after Connect: %v", err)
	}
	if len(crew.Members) != 2 || crew.Hired.IsZero() || !sameRef(crew.Lead, crew.Members[0]) {
		t.Fatalf("crew %+v", crew)
	}
	pid, err := CourierPID.Call(ctx, crew.Lead, uactor.Empty{})
	if err != nil || pid != conn.PID() || pid == os.Getpid() {
		t.Fatalf("lead courier: pid %d, %v; connected to %d", pid, err, conn.PID())
	}
	for _, m := range crew.Members {
		m.Close()
	}
	conn.Close()
	if _, err := Hire.Call(ctx, shop, req); !errors.As(err, &ake) {
		t.Fatalf("Hire after the connection closed: %v; want *AuthKeyError", err)
	}
}

// A msgp struct that embeds time.Time has time.Time's binary methods too,
// promoted; it travels by its own MessagePack methods, so that its other
// fields arrive, and not as the embedded time alone.
func TestEmbeddedTimeKeepsItsFields(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	shop := spawn(t, ctx, ShopKind, ShopConfig{Name: "corner"})
	sent := Receipt{Time: time.Date(2026, 12, 4, 18, 45, 0, 9, time.UTC), Order: 42, Note: "paid"}
	got, err := Stamp.Call(ctx, shop, sent)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Time.Equal(sent.Time) || got.Order != 42 || got.Note != "paid / stamped by corner" {
		t.Fatalf("sent %v, order %d, %q; got %v, order %d, %q", sent.Time, sent.Order, sent.Note, got.Time, got.Order, got.Note)
	}
}
