// Command forwarding is the seed's "Forwarded proxies" section: MyActor
// holds a MyOtherActor that listens on TCP under another key, and hands out a
// ref to it. A process that does not know that key gets an AuthKeyError for
// the ref; once it connects to MyOtherActor with the key, capturing the
// address the ref names, the same ref works. Both of the seed's approaches
// run in turn.
//
//	go run ./examples/forwarding            # MyOtherActor on tcp://0.0.0.0:7000
//	go run ./examples/forwarding -port 0    # any free port
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strings"

	"github.com/uactor-go/uactor/uactor"
)

// MyOtherActor listens on TCP with its own key.
type MyOtherActor struct{}

// GetPID returns the process MyOtherActor runs in.
func (MyOtherActor) GetPID(ctx context.Context, _ uactor.Empty) (int, error) { return os.Getpid(), nil }

// MyActor made a MyOtherActor of its own and hands out refs to it.
type MyActor struct{ other uactor.Ref[MyOtherActor] }

// MyOtherActor returns the ref MyActor holds (the seed's exposed attribute).
func (a *MyActor) MyOtherActor(ctx context.Context, _ uactor.Empty) (uactor.Ref[MyOtherActor], error) {
	return a.other, nil
}

var otherSecret = []byte("OtherSecret")

var (
	myOtherActorKind = uactor.Define("forwarding.myotheractor", func(ctx context.Context, _ uactor.Empty) (MyOtherActor, error) {
		return MyOtherActor{}, nil
	}, uactor.Listen("tcp://0.0.0.0:7000"), uactor.AuthKey(otherSecret))
	getPID = uactor.Expose(myOtherActorKind, "getpid", MyOtherActor.GetPID)

	// MyActor's argument is where its MyOtherActor listens.
	myActorKind = uactor.Define("forwarding.myactor", func(ctx context.Context, listen string) (*MyActor, error) {
		other, err := uactor.Spawn(ctx, myOtherActorKind, uactor.Empty{}, uactor.Listen(listen))
		return &MyActor{other: other}, err
	})
	myOtherActor = uactor.Expose(myActorKind, "my_other_actor", (*MyActor).MyOtherActor)
)

func main() {
	uactor.Main()
	host := flag.String("host", "0.0.0.0", "the host MyOtherActor listens on")
	port := flag.Int("port", 7000, "the port MyOtherActor listens on (0: any free port)")
	flag.Parse()
	ctx := context.Background()

	listen := fmt.Sprintf("tcp://%s:%d", *host, *port)
	actor, err := uactor.Spawn(ctx, myActorKind, listen)
	if err != nil {
		log.Fatal(err)
	}
	defer actor.Close()

	// The ref says where MyOtherActor listens; learn it from the error.
	_, err = myOtherActor.Call(ctx, actor, uactor.Empty{})
	var ake *uactor.AuthKeyError
	if !errors.As(err, &ake) {
		log.Fatalf("expected an AuthKeyError, got %v", err)
	}
	fmt.Printf("without its key:  %v\n", ake)
	_, p, _ := net.SplitHostPort(strings.TrimPrefix(ake.Address, "tcp://"))
	address, capture := "localhost:"+p, ake.Address

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
