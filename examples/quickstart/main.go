// Command quickstart spawns an actor in a process of its own and calls it:
// the smallest uactor program.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/uactor-go/uactor/uactor"
)

// Greeter lives in its own process.
type Greeter struct{ greeting string }

// Greet answers from the actor's process.
func (g *Greeter) Greet(ctx context.Context, name string) (string, error) {
	return fmt.Sprintf("%s, %s, from process %d", g.greeting, name, os.Getpid()), nil
}

var (
	greeterKind = uactor.Define("greeter", func(ctx context.Context, greeting string) (*Greeter, error) {
		return &Greeter{greeting: greeting}, nil
	})
	greet = uactor.Expose(greeterKind, "greet", (*Greeter).Greet)
)

func main() {
	uactor.Main() // in the re-executed child, this runs the actor and never returns
	ctx := context.Background()

	greeter, err := uactor.Spawn(ctx, greeterKind, "Hello")
	if err != nil {
		log.Fatal(err)
	}
	defer greeter.Close()

	msg, err := greet.Call(ctx, greeter, "world")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("caller process %d\n", os.Getpid())
	fmt.Printf("actor process  %d at %s\n", greeter.PID(), greeter.Address())
	fmt.Println(msg)
}
