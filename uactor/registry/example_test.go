package registry_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// Named is an actor that says its name.
type Named struct{ name string }

// Name returns the actor's name.
func (n *Named) Name(ctx context.Context, _ uactor.Empty) (string, error) { return n.name, nil }

var (
	namedKind = uactor.Define("registry_example.named", func(ctx context.Context, name string) (*Named, error) {
		return &Named{name: name}, nil
	})
	name = uactor.Expose(namedKind, "name", (*Named).Name)
)

var secret = []byte("SECRET")

// hostNamed serves one Named actor per name in this process, and returns
// their refs and a function that stops them.
func hostNamed(ctx context.Context, names ...string) ([]uactor.Ref[*Named], func()) {
	var refs []uactor.Ref[*Named]
	for _, n := range names {
		r, err := uactor.Host(ctx, namedKind, &Named{name: n}, uactor.AuthKey(secret))
		if err != nil {
			log.Fatal(err)
		}
		refs = append(refs, r)
	}
	return refs, func() {
		for _, r := range refs {
			r.Close()
		}
	}
}

// hostNamedRegistry serves a registry in this process, with opts, and one
// Named actor per name registered with it. It returns the registry and a
// function that stops them all.
func hostNamedRegistry(ctx context.Context, names []string, opts ...uactor.Option) (uactor.Ref[*registry.Registry], func()) {
	r, err := registry.New(ctx, registry.Config{})
	if err != nil {
		log.Fatal(err)
	}
	reg, err := uactor.Host(ctx, registry.Kind, r, opts...)
	if err != nil {
		log.Fatal(err)
	}
	actors, stop := hostNamed(ctx, names...)
	var addrs registry.Addresses
	for _, a := range actors {
		addrs = append(addrs, a.Address())
	}
	if _, err := registry.Register.Call(ctx, reg, addrs); err != nil {
		log.Fatal(err)
	}
	return reg, func() { stop(); reg.Close() }
}

// A registry hands out the addresses registered with it, round-robin,
// leaving out actors that are gone. Here the registry and its actors are
// hosted in this process; a registry is usually spawned, on a fixed port,
// and connected to from other processes.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the registry's probe
	r, err := registry.New(ctx, registry.Config{})
	if err != nil {
		log.Fatal(err)
	}
	reg, err := uactor.Host(ctx, registry.Kind, r, uactor.AuthKey(secret))
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()

	actors, stop := hostNamed(ctx, "ann", "bob", "cy")
	defer stop()
	names := map[string]string{}
	var addrs registry.Addresses
	for i, a := range actors {
		names[a.Address()] = []string{"ann", "bob", "cy"}[i]
		addrs = append(addrs, a.Address())
	}
	n, _ := registry.Register.Call(ctx, reg, addrs)
	fmt.Println("registered:", n)

	for range 4 {
		p, _ := registry.Pick.Call(ctx, reg, uactor.Empty{})
		fmt.Println("picked:", names[p.Address])
	}

	actors[1].Close() // bob stops: the next Pick finds him gone, and moves on
	for range 2 {
		p, _ := registry.Pick.Call(ctx, reg, uactor.Empty{})
		fmt.Println("picked:", names[p.Address])
	}
	left, _ := registry.List.Call(ctx, reg, uactor.Empty{})
	fmt.Println("registered now:", len(left))
	// Output:
	// registered: 3
	// picked: ann
	// picked: bob
	// picked: cy
	// picked: ann
	// picked: cy
	// picked: ann
	// registered now: 2
}

// A pool over every actor a registry lists: calls go round-robin.
func ExamplePoolFromRegistry() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg, stop := hostNamedRegistry(ctx, []string{"ann", "bob"})
	defer stop()

	pool, err := registry.PoolFromRegistry(ctx, reg, namedKind, secret, name)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	for range 3 {
		n, err := pool.Handle(ctx, uactor.Empty{})
		fmt.Println(n, err)
	}
	// Output:
	// ann <nil>
	// bob <nil>
	// ann <nil>
}

// A pool over what a Source lists, refreshed every ten seconds: here the
// registry actor at an address; DNS SRV records are one line away (see
// ExampleSRV).
func ExamplePoolFrom() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg, stop := hostNamedRegistry(ctx, []string{"ann", "bob"}, uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey(secret))
	defer stop()

	src := registry.At(reg.Address(), secret)
	pool, err := registry.PoolFrom(ctx, src, 10*time.Second, namedKind, secret, name)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	for range 3 {
		n, err := pool.Handle(ctx, uactor.Empty{})
		fmt.Println(n, err)
	}
	// Output:
	// ann <nil>
	// bob <nil>
	// ann <nil>
}

// Actors found through DNS: a Kubernetes headless Service named workers,
// in namespace default, with a port named uactor, answers SRV queries for
// _uactor._tcp.workers.default.svc.cluster.local.
func ExampleSRV() {
	ctx := context.Background()
	src := registry.SRV{Name: "_uactor._tcp.workers.default.svc.cluster.local"}

	// One actor: the most preferred target that answers.
	ref, err := registry.ConnectFrom(ctx, src, namedKind, secret)
	if err != nil {
		log.Fatal(err)
	}
	defer ref.Close()

	// Or every actor, following the answer as pods come and go.
	pool, err := registry.PoolFrom(ctx, src, 10*time.Second, namedKind, secret, name)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	fmt.Println(pool.Handle(ctx, uactor.Empty{}))
}
