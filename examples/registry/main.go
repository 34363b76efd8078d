// Command registry is the "Autodiscovery" section of uActor's networking chapter: a registry actor
// on a fixed port where network actors are registered, more actors added by
// another process at any time, and a third process that picks them
// round-robin. uActor's three programs are the three modes of this one:
//
//	go run ./examples/registry serve                 # registry on tcp://0.0.0.0:5000, ten actors
//	                                                 # prints: Registry listening at port 5000
//	                                                 #         Actors listening at ports [36061 35245 …]
//	go run ./examples/registry add localhost:5000    # ten more actors, registered
//	go run ./examples/registry pick localhost:5000   # prints: Actor at port 36061 has pid 140262 (× 20)
//	go run ./examples/registry pool localhost:5000   # prints: Call 1 reached pid 140262 (× 20)
//
// pool spreads calls over every actor the registry lists, through a
// registry.Pool that follows the list. Its discovery is one line: change
// it to registry.SRV{Name: from} and the same program finds its actors
// through DNS SRV records (Kubernetes, Consul) instead:
//
//	go run ./examples/registry pool _network._tcp.example.com
//
// Actors listen on free ports of -host (all interfaces by default) and are
// registered at the address they advertise (Ref.Advertised), one that the
// other hosts can dial: -advertise names this host (a name or an address);
// without it, a specific -host, or else this host's only address; failing
// both, localhost, as in uActor's example, which only this host can dial. serve and
// add keep their actors alive until interrupted; actors that die are
// dropped by the registry (see package registry). So are actors that it
// cannot reach for a while, on a link that fails for a few seconds: add
// registers its actors again every -every (the probe's default interval),
// so that they come back once the link does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uactor-go/uactor/internal/advertise"
	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/registry"
)

// NetworkActor answers with the process it runs in.
type NetworkActor struct{}

// GetPID returns the actor's process id.
func (NetworkActor) GetPID(ctx context.Context, _ uactor.Empty) (int, error) { return os.Getpid(), nil }

var secret = []byte("SECRET")

var (
	// Like uActor's _options_: a random TCP port, the shared key.
	networkKind = uactor.Define("registry.network", func(ctx context.Context, _ uactor.Empty) (NetworkActor, error) {
		return NetworkActor{}, nil
	}, uactor.Listen("tcp://0.0.0.0:0"), uactor.AuthKey(secret))
	getPID = uactor.Expose(networkKind, "getpid", NetworkActor.GetPID)
)

const usage = `usage:
  registry serve [-listen tcp://0.0.0.0:5000] [-host 0.0.0.0] [-advertise host] [-probe 1s]
  registry add [-host 0.0.0.0] [-advertise host] [-every 1s] <registry host:port>
  registry pick [-n 20] <registry host:port>
  registry pool [-n 20] <registry host:port>`

func main() {
	uactor.Main()
	if len(os.Args) < 2 {
		fail()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	fs.Usage = fail
	switch os.Args[1] {
	case "serve":
		listen := fs.String("listen", "tcp://0.0.0.0:5000", "where the registry listens")
		host := fs.String("host", "0.0.0.0", "the host the actors listen on")
		adv := fs.String("advertise", "", "the host the actors are registered at")
		probe := fs.Duration("probe", registry.DefaultProbeInterval, "how often the registry checks its actors")
		parse(fs, 0)
		hostOnly(*adv)
		serve(ctx, *listen, placement{*host, *adv}, *probe)
	case "add":
		host := fs.String("host", "0.0.0.0", "the host the actors listen on")
		adv := fs.String("advertise", "", "the host the actors are registered at")
		every := fs.Duration("every", registry.DefaultProbeInterval, "how often the actors are registered again (0: once)")
		args := parse(fs, 1)
		hostOnly(*adv)
		add(ctx, args[0], placement{*host, *adv}, *every)
	case "pick":
		n := fs.Int("n", 20, "how many actors to pick")
		args := parse(fs, 1)
		if !pick(ctx, args[0], *n) {
			os.Exit(1)
		}
	case "pool":
		n := fs.Int("n", 20, "how many calls to make")
		args := parse(fs, 1)
		if !pool(ctx, args[0], *n) {
			os.Exit(1)
		}
	default:
		fail()
	}
}

func fail() {
	fmt.Fprintln(os.Stderr, usage)
	os.Exit(2)
}

// hostOnly exits with the usage unless adv, -advertise, names a host
// alone (or with port 0, the port bound): the ten actors it names listen
// on ten ports, and a port given would register them all at one address.
func hostOnly(adv string) {
	if adv == "" {
		return
	}
	spec, _ := advertise.For(adv, "")
	rest, isTCP := strings.CutPrefix(spec, "tcp://")
	if _, port, err := net.SplitHostPort(rest); !isTCP || err != nil || port != "0" {
		fmt.Fprintf(os.Stderr, "registry: -advertise %q: give a host alone: each actor has a port of its own\n", adv)
		fail()
	}
}

// parse parses fs's flags from the command line, before and after the n
// positional arguments it returns.
func parse(fs *flag.FlagSet, n int) []string {
	fs.Parse(os.Args[2:])
	var args []string
	for fs.NArg() > 0 && len(args) < n {
		args = append(args, fs.Arg(0))
		fs.Parse(fs.Args()[1:])
	}
	if len(args) != n || fs.NArg() > 0 {
		fail()
	}
	return args
}

// serve is uActor's first program: the registry, ten actors registered.
func serve(ctx context.Context, listen string, at placement, probe time.Duration) {
	reg, err := uactor.Spawn(ctx, registry.Kind, registry.Config{ProbeInterval: probe},
		uactor.Listen(listen), uactor.AuthKey(secret))
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	actors, ports := spawnRegistered(ctx, reg, at, 10)
	defer closeAll(actors)
	fmt.Printf("Registry listening at port %s\n", port(reg.Address()))
	fmt.Printf("Actors listening at ports %v\n", ports)
	<-ctx.Done() // keep the registry and the actors alive until interrupted
}

// add is uActor's second program: ten more actors, registered, and
// registered again every so often (see keepRegistered).
func add(ctx context.Context, address string, at placement, every time.Duration) {
	reg, err := uactor.Connect(ctx, registry.Kind, address, secret)
	if err != nil {
		log.Fatal(err)
	}
	actors, ports := spawnRegistered(ctx, reg, at, 10)
	defer closeAll(actors)
	fmt.Printf("Actors listening at ports %v\n", ports)
	reg = keepRegistered(ctx, address, reg, actors, every) // until interrupted
	defer reg.Close()
	// Leave the registry as we found it; the dial checks would find out anyway.
	dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	registry.Deregister.Call(dctx, reg, addresses(actors))
}

// keepRegistered registers the actors with the registry at address again
// every d (never, if d is 0), those still alive, until ctx ends, and
// returns the ref to the registry it holds then. A registry drops an
// actor that it cannot reach for a while (a network blip between the
// hosts) and forgets it for good: registering it again brings it back. A
// ref that has lost its registry (keepalive found it silent, or it
// restarted elsewhere) is replaced.
func keepRegistered(ctx context.Context, address string, reg uactor.Ref[*registry.Registry], actors []uactor.Ref[NetworkActor], d time.Duration) uactor.Ref[*registry.Registry] {
	if d <= 0 {
		<-ctx.Done()
		return reg
	}
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return reg
		case <-tick.C:
		}
		select {
		case <-reg.Done():
			fresh, err := uactor.Connect(ctx, registry.Kind, address, secret)
			if err != nil {
				log.Printf("registry at %s: %v", address, err)
				continue
			}
			reg.Close()
			reg = fresh
		default:
		}
		// Only the live ones: the registry drops a dead actor once its
		// checks have failed for a while, and registering it again vouches
		// for it anew, which would keep it listed for ever.
		if _, err := registry.Register.Call(ctx, reg, addresses(living(actors))); err != nil && ctx.Err() == nil {
			log.Printf("registering again at %s: %v", address, err)
		}
	}
}

// living returns the actors whose process has not ended for good.
func living(actors []uactor.Ref[NetworkActor]) []uactor.Ref[NetworkActor] {
	var out []uactor.Ref[NetworkActor]
	for _, a := range actors {
		select {
		case <-a.Done():
		default:
			out = append(out, a)
		}
	}
	return out
}

// pick is uActor's third program: pick n actors and reach each one.
func pick(ctx context.Context, address string, n int) bool {
	reg, err := uactor.Connect(ctx, registry.Kind, address, secret)
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	ok := true
	for range n {
		p, err := registry.Pick.Call(ctx, reg, uactor.Empty{})
		if err != nil {
			log.Fatal(err)
		}
		if !p.OK {
			fmt.Fprintln(os.Stderr, "no actors registered")
			return false
		}
		pid, err := reachPID(ctx, p.Address)
		if err != nil { // it died since the registry checked it
			fmt.Fprintf(os.Stderr, "actor at %s: %v\n", p.Address, err)
			ok = false
			continue
		}
		fmt.Printf("Actor at port %s has pid %d\n", port(p.Address), pid)
	}
	return ok
}

// pool makes n calls through a pool of every actor that from lists.
func pool(ctx context.Context, from string, n int) bool {
	src := registry.At(from, secret) // discovery: the registry actor at from
	p, err := registry.PoolFrom(ctx, src, time.Second, networkKind, secret, getPID)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	fmt.Printf("Pool of %d actors\n", len(p.Addresses()))
	ok := true
	for i := range n {
		pid, err := p.Handle(ctx, uactor.Empty{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "call %d: %v\n", i+1, err)
			ok = false
			continue
		}
		fmt.Printf("Call %d reached pid %d\n", i+1, pid)
	}
	return ok
}

func reachPID(ctx context.Context, address string) (int, error) {
	actor, err := uactor.Connect(ctx, networkKind, address, secret)
	if err != nil {
		return 0, err
	}
	defer actor.Close()
	return getPID.Call(ctx, actor, uactor.Empty{})
}

// placement is where actors listen (a host), and the host they advertise.
type placement struct{ host, advertise string }

// spawnRegistered spawns n actors on free ports of at.host, at once,
// registers them with reg, and returns them with their ports.
func spawnRegistered(ctx context.Context, reg uactor.Ref[*registry.Registry], at placement, n int) ([]uactor.Ref[NetworkActor], []int) {
	listen := "tcp://" + net.JoinHostPort(strings.Trim(at.host, "[]"), "0") // "::1" or "[::1]"
	adv, known := advertise.For(at.advertise, listen)
	if !known {
		fmt.Fprintln(os.Stderr, "registry: this host's address is not known; registering the actors at localhost; give -advertise")
		adv = "tcp://localhost:0"
	}
	actors := make([]uactor.Ref[NetworkActor], n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range actors {
		wg.Go(func() {
			actors[i], errs[i] = uactor.Spawn(ctx, networkKind, uactor.Empty{},
				uactor.Listen(listen), uactor.Advertise(adv))
		})
	}
	wg.Wait()
	ports := make([]int, n)
	for i, a := range actors {
		if errs[i] != nil {
			closeAll(actors)
			log.Fatal(errs[i])
		}
		ports[i], _ = strconv.Atoi(port(a.Address()))
	}
	if _, err := registry.Register.Call(ctx, reg, addresses(actors)); err != nil {
		closeAll(actors)
		log.Fatal(err)
	}
	return actors, ports
}

// addresses are the addresses the actors advertise: where other processes reach them.
func addresses(actors []uactor.Ref[NetworkActor]) registry.Addresses {
	out := make(registry.Addresses, len(actors))
	for i, a := range actors {
		out[i] = a.Advertised()
	}
	return out
}

func port(address string) string {
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(address, "tcp://"))
	return p
}

// closeAll stops the actors, at once.
func closeAll(actors []uactor.Ref[NetworkActor]) {
	var wg sync.WaitGroup
	for _, a := range actors {
		wg.Go(func() { a.Close() })
	}
	wg.Wait()
}
