// Command mainloop is "Server mainloop with remote shutdown" from uActor's networking chapter: the
// owner keeps its actor alive by looping on the actor's Wait method, and any
// process that knows the address and key can end the loop with Shutdown.
//
//	go run ./examples/mainloop serve                 # prints: Actor process 140262 at 192.0.2.2:6000
//	go run ./examples/mainloop shutdown 192.0.2.2:6000
//
// serve prints the address that the actor advertises, as the connection
// example does: -advertise, else a specific -listen host, else this host's
// only address.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/uactor-go/uactor/internal/advertise"
	"github.com/uactor-go/uactor/uactor"
)

// NetworkActor runs until someone calls Shutdown.
type NetworkActor struct {
	finished chan struct{}
	once     sync.Once
}

// Shutdown ends the owner's main loop.
func (a *NetworkActor) Shutdown(ctx context.Context, _ uactor.Empty) (uactor.Empty, error) {
	a.once.Do(func() { close(a.finished) })
	return uactor.Empty{}, nil
}

// Wait reports whether Shutdown was called, waiting at most d for it. Calls
// run concurrently in the actor, so Shutdown gets through while Wait waits.
func (a *NetworkActor) Wait(ctx context.Context, d time.Duration) (bool, error) {
	select {
	case <-a.finished:
		return true, nil
	case <-time.After(d):
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

var secret = []byte("SECRET")

var (
	networkKind = uactor.Define("mainloop.network", func(ctx context.Context, _ uactor.Empty) (*NetworkActor, error) {
		return &NetworkActor{finished: make(chan struct{})}, nil
	}, uactor.Listen("tcp://0.0.0.0:6000"), uactor.AuthKey(secret))
	shutdown = uactor.Expose(networkKind, "shutdown", (*NetworkActor).Shutdown)
	wait     = uactor.Expose(networkKind, "wait", (*NetworkActor).Wait)
)

func main() {
	uactor.Main()
	listen := flag.String("listen", "tcp://0.0.0.0:6000", "serve: where the actor listens")
	adv := flag.String("advertise", "", "serve: the address other hosts reach the actor at (host, or tcp://host:port)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mainloop [-listen tcp://host:port] [-advertise host] serve | mainloop shutdown host:port")
	}
	args := commandLine()
	ctx := context.Background()
	switch {
	case len(args) == 1 && args[0] == "serve":
		serve(ctx, *listen, *adv)
	case len(args) == 2 && args[0] == "shutdown" && flag.NFlag() == 0: // its flags are serve's
		remoteShutdown(ctx, args[1])
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
	spec := advertise.Spec("mainloop", adv, listen)
	actor, err := uactor.Spawn(ctx, networkKind, uactor.Empty{}, uactor.Listen(listen), uactor.Advertise(spec))
	if err != nil {
		log.Fatal(err)
	}
	defer actor.Close() // stops and reaps the actor's process
	fmt.Printf("Actor process %d at %s\n", actor.PID(), strings.TrimPrefix(actor.Advertised(), "tcp://"))
	for {
		done, err := wait.Call(ctx, actor, 10*time.Second) // short waits: no call outlives a socket timeout
		if err != nil {
			log.Fatal(err)
		}
		if done {
			break
		}
	}
	fmt.Println("Shut down remotely")
}

func remoteShutdown(ctx context.Context, address string) {
	external, err := uactor.Connect(ctx, networkKind, address, secret)
	if err != nil {
		log.Fatal(err)
	}
	defer external.Close()
	if _, err := shutdown.Call(ctx, external, uactor.Empty{}); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Asked actor process %d to shut down\n", external.PID())
}
