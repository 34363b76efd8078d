// Command connection is the "Connection" section of uActor's networking chapter: an actor listening
// on TCP with an authkey, reached from another process by address and key.
//
//	go run ./examples/connection serve              # prints: Actor process 140262 at 192.0.2.2:37255
//	go run ./examples/connection connect 192.0.2.2:37255
//	                                                # prints: Actor process 140262 at 192.0.2.2:37255
//
// serve prints the address that the actor advertises, one that other hosts
// can dial: -advertise names it (a host, or tcp://host:port, where port 0
// stands for the bound one); without it, a specific -listen host, or this
// host's only address when the actor listens on every interface. When no
// such address is known, it prints 0.0.0.0 and says so.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/uactor-go/uactor/internal/advertise"
	"github.com/uactor-go/uactor/uactor"
)

// NetworkActor answers with the process it runs in.
type NetworkActor struct{}

// GetPID returns the actor's process id.
func (NetworkActor) GetPID(ctx context.Context, _ uactor.Empty) (int, error) { return os.Getpid(), nil }

var secret = []byte("SECRET")

var (
	networkKind = uactor.Define("connection.network", func(ctx context.Context, _ uactor.Empty) (NetworkActor, error) {
		return NetworkActor{}, nil
	}, uactor.Listen("tcp://0.0.0.0:0"), uactor.AuthKey(secret)) // like uActor's _options_
	getPID = uactor.Expose(networkKind, "getpid", NetworkActor.GetPID)
)

func main() {
	uactor.Main()
	listen := flag.String("listen", "tcp://0.0.0.0:0", "serve: where the actor listens")
	adv := flag.String("advertise", "", "serve: the address other hosts reach the actor at (host, or tcp://host:port)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: connection [-listen tcp://host:port] [-advertise host] serve | connection connect host:port")
	}
	args := commandLine()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case len(args) == 1 && args[0] == "serve":
		serve(ctx, *listen, *adv)
	case len(args) == 2 && args[0] == "connect" && flag.NFlag() == 0: // its flags are serve's
		connect(ctx, args[1])
	default:
		flag.Usage()
		os.Exit(2)
	}
}

// commandLine parses the flags wherever they stand on the command line:
// before the mode ("-listen … serve"), or after it, as the other examples
// take them ("serve -listen …"). It returns the other arguments, in order.
func commandLine() []string {
	flag.Parse()
	var args []string
	for flag.NArg() > 0 {
		args = append(args, flag.Arg(0))
		flag.CommandLine.Parse(flag.Args()[1:])
	}
	return args
}

func serve(ctx context.Context, listen, adv string) {
	spec := advertise.Spec("connection", adv, listen)
	actor, err := uactor.Spawn(ctx, networkKind, uactor.Empty{}, uactor.Listen(listen), uactor.Advertise(spec))
	if err != nil {
		log.Fatal(err)
	}
	defer actor.Close()
	report(ctx, actor, actor.Advertised())
	<-ctx.Done() // keep the owner (and so the actor) alive until interrupted
}

func connect(ctx context.Context, address string) {
	actor, err := uactor.Connect(ctx, networkKind, address, secret)
	if err != nil {
		log.Fatal(err)
	}
	defer actor.Close()
	report(ctx, actor, actor.Address())
}

func report(ctx context.Context, actor uactor.Ref[NetworkActor], address string) {
	pid, err := getPID.Call(ctx, actor, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Actor process %d at %s\n", pid, strings.TrimPrefix(address, "tcp://"))
}
