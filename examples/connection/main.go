// Command connection is the seed's "Connection" section: an actor listening
// on TCP with an authkey, reached from another process by address and key.
//
//	go run ./examples/connection serve              # prints: Actor process 140262 at 0.0.0.0:37255
//	go run ./examples/connection connect localhost:37255
//	                                                # prints: Actor process 140262 at localhost:37255
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
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: connection [-listen tcp://host:port] serve | connection connect host:port")
	}
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case flag.Arg(0) == "serve":
		serve(ctx, *listen)
	case flag.Arg(0) == "connect" && flag.NArg() == 2:
		connect(ctx, flag.Arg(1))
	default:
		flag.Usage()
		os.Exit(2)
	}
}

func serve(ctx context.Context, listen string) {
	actor, err := uactor.Spawn(ctx, networkKind, uactor.Empty{}, uactor.Listen(listen))
	if err != nil {
		log.Fatal(err)
	}
	defer actor.Close()
	report(ctx, actor)
	<-ctx.Done() // keep the owner (and so the actor) alive until interrupted
}

func connect(ctx context.Context, address string) {
	actor, err := uactor.Connect(ctx, networkKind, address, secret)
	if err != nil {
		log.Fatal(err)
	}
	defer actor.Close()
	report(ctx, actor)
}

func report(ctx context.Context, actor uactor.Ref[NetworkActor]) {
	pid, err := getPID.Call(ctx, actor, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Actor process %d at %s\n", pid, strings.TrimPrefix(actor.Address(), "tcp://"))
}
