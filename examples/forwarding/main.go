// Command forwarding is the "Forwarded proxies" section of uActor's networking chapter: MyActor
// holds a MyOtherActor that listens on TCP under another key, and hands out a
// ref to it. A process that does not know that key gets an AuthKeyError for
// the ref; once it connects to MyOtherActor with the key, capturing the
// address the ref names, the same ref works. Both of uActor's approaches
// run in turn.
//
//	go run ./examples/forwarding            # MyOtherActor on tcp://0.0.0.0:7000
//	go run ./examples/forwarding -port 0    # any free port
//
// Across hosts, one host serves MyActor (with the key SECRET) and its
// MyOtherActor, and another runs both approaches against it:
//
//	go run ./examples/forwarding serve -listen tcp://0.0.0.0:5001
//	                                        # prints: MyActor process 140262 at 192.0.2.2:5001
//	go run ./examples/forwarding connect 192.0.2.2:5001
//
// MyOtherActor's ref names the address it listens on (0.0.0.0:7000 unless
// serve's -other-advertise says otherwise; -advertise is MyActor's own);
// connect reaches it on the host it reached MyActor at, and captures the
// address the ref names.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/uactor-go/uactor/internal/advertise"
	"github.com/uactor-go/uactor/uactor"
)

// MyOtherActor listens on TCP with its own key.
type MyOtherActor struct{}

// GetPID returns the process MyOtherActor runs in.
func (MyOtherActor) GetPID(ctx context.Context, _ uactor.Empty) (int, error) { return os.Getpid(), nil }

// MyActor made a MyOtherActor of its own and hands out refs to it.
type MyActor struct{ other uactor.Ref[MyOtherActor] }

// MyOtherActor returns the ref MyActor holds (uActor's exposed attribute).
func (a *MyActor) MyOtherActor(ctx context.Context, _ uactor.Empty) (uactor.Ref[MyOtherActor], error) {
	return a.other, nil
}

var (
	secret      = []byte("SECRET") // MyActor's key, when it serves other hosts
	otherSecret = []byte("OtherSecret")
)

var (
	myOtherActorKind = uactor.Define("forwarding.myotheractor", func(ctx context.Context, _ uactor.Empty) (MyOtherActor, error) {
		return MyOtherActor{}, nil
	}, uactor.Listen("tcp://0.0.0.0:7000"), uactor.AuthKey(otherSecret))
	getPID = uactor.Expose(myOtherActorKind, "getpid", MyOtherActor.GetPID)

	// MyActor's argument is where its MyOtherActor listens, then, after a
	// space, what it advertises, if anything.
	myActorKind = uactor.Define("forwarding.myactor", func(ctx context.Context, at string) (*MyActor, error) {
		listen, adv, _ := strings.Cut(at, " ")
		other, err := uactor.Spawn(ctx, myOtherActorKind, uactor.Empty{}, uactor.Listen(listen), uactor.Advertise(adv))
		return &MyActor{other: other}, err
	})
	myOtherActor = uactor.Expose(myActorKind, "my_other_actor", (*MyActor).MyOtherActor)
)

const usage = `usage:
  forwarding [-host 0.0.0.0] [-port 7000]                 both approaches, on this host
  forwarding serve [-listen tcp://0.0.0.0:5001] [-advertise host] [-other tcp://0.0.0.0:7000] [-other-advertise host]
  forwarding connect <MyActor host:port>                  both approaches, against a MyActor served elsewhere`

func main() {
	uactor.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	mode := "local"
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		mode = os.Args[1]
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	flag.Usage = func() { fmt.Fprintln(os.Stderr, usage) }
	switch mode {
	case "local":
		host := flag.String("host", "0.0.0.0", "the host MyOtherActor listens on")
		port := flag.Int("port", 7000, "the port MyOtherActor listens on (0: any free port)")
		parse(0)
		h := strings.Trim(*host, "[]") // "::1" or "[::1]"
		actor, err := uactor.Spawn(ctx, myActorKind, "tcp://"+net.JoinHostPort(h, strconv.Itoa(*port)))
		if err != nil {
			log.Fatal(err)
		}
		defer actor.Close()
		approaches(ctx, actor, reachAt(h))
	case "serve":
		listen := flag.String("listen", "tcp://0.0.0.0:5001", "where MyActor listens")
		adv := flag.String("advertise", "", "the address other hosts reach MyActor at (host, or tcp://host:port)")
		other := flag.String("other", "tcp://0.0.0.0:7000", "where MyOtherActor listens")
		otherAdv := flag.String("other-advertise", "", "the address MyOtherActor's refs name (default: where it listens)")
		parse(0)
		serve(ctx, *listen, *adv, *other, *otherAdv)
	case "connect":
		parse(1)
		actor, err := uactor.Connect(ctx, myActorKind, flag.Arg(0), secret)
		if err != nil {
			log.Fatal(err)
		}
		defer actor.Close()
		host, _, _ := net.SplitHostPort(strings.TrimPrefix(flag.Arg(0), "tcp://"))
		approaches(ctx, actor, host)
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// parse parses the mode's flags and exits with the usage unless n
// arguments follow them: a flag or an argument that means nothing to the
// mode is refused rather than ignored.
func parse(n int) {
	flag.Parse()
	if flag.NArg() != n {
		flag.Usage()
		os.Exit(2)
	}
}

// serve runs MyActor for other hosts until interrupted.
func serve(ctx context.Context, listen, adv, other, otherAdv string) {
	spec := advertise.Spec("forwarding", adv, listen)
	if otherAdv != "" {
		otherAdv, _ = advertise.For(otherAdv, other)
	}
	actor, err := uactor.Spawn(ctx, myActorKind, other+" "+otherAdv,
		uactor.Listen(listen), uactor.Advertise(spec), uactor.AuthKey(secret))
	if err != nil {
		log.Fatal(err)
	}
	defer actor.Close()
	fmt.Printf("MyActor process %d at %s\n", actor.PID(), strings.TrimPrefix(actor.Advertised(), "tcp://"))
	<-ctx.Done()
}

// reachAt is the host this process reaches MyOtherActor at when it listens
// on host: localhost, as in uActor's example, when it listens on every
// interface or on an address that localhost names; otherwise host itself.
func reachAt(host string) string {
	ip, err := netip.ParseAddr(host)
	if err != nil && host != "" {
		return host // a name: "localhost" or another
	}
	if host == "" || ip.IsUnspecified() {
		return "localhost"
	}
	if addrs, err := net.LookupHost("localhost"); err == nil && slices.Contains(addrs, ip.String()) {
		return "localhost"
	}
	return host
}

// approaches runs uActor's two approaches: MyOtherActor is reached on
// host, at the port its ref names.
func approaches(ctx context.Context, actor uactor.Ref[*MyActor], host string) {
	// The ref says where MyOtherActor listens; learn it from the error.
	_, err := myOtherActor.Call(ctx, actor, uactor.Empty{})
	var ake *uactor.AuthKeyError
	if !errors.As(err, &ake) {
		log.Fatalf("expected an AuthKeyError, got %v", err)
	}
	fmt.Printf("without its key:  %v\n", ake)
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(ake.Address, "tcp://"))
	address, capture := net.JoinHostPort(host, p), ake.Address

	// Approach 1: wait for the AuthKeyError, then connect and ask again.
	func() {
		_, err := myOtherActor.Call(ctx, actor, uactor.Empty{})
		if errors.Is(err, uactor.ErrAuthKey) {
			fmt.Println("approach 1: got AuthKeyError; connecting to", address, "capturing", capture)
			conn, err := uactor.Connect(ctx, myOtherActorKind, address, otherSecret, uactor.Capture(capture))
			if err != nil {
				log.Fatal(err)
			}
			defer conn.Close()
			report(ctx, "approach 1", actor)
		}
	}()

	// Approach 2: connect first, then take the ref.
	func() {
		fmt.Println("approach 2: connecting to", address, "capturing", capture, "first")
		conn, err := uactor.Connect(ctx, myOtherActorKind, address, otherSecret, uactor.Capture(capture))
		if err != nil {
			log.Fatal(err)
		}
		defer conn.Close()
		report(ctx, "approach 2", actor)
	}()

	_, err = myOtherActor.Call(ctx, actor, uactor.Empty{})
	fmt.Printf("after disconnecting, AuthKeyError again: %v\n", errors.Is(err, uactor.ErrAuthKey))
}

func report(ctx context.Context, approach string, actor uactor.Ref[*MyActor]) {
	other, err := myOtherActor.Call(ctx, actor, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	pid, err := getPID.Call(ctx, other, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: my_other_actor reached at %s, process %d\n", approach, other.Address(), pid)
}
