package uactor_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/uactor-go/uactor/uactor"
)

// Greeter is the quickstart's actor: each one lives in a process of its own.
type Greeter struct{ greeting string }

func (g *Greeter) Greet(ctx context.Context, name string) (string, error) {
	return fmt.Sprintf("%s, %s, from process %d", g.greeting, name, os.Getpid()), nil
}

// Kinds and methods are package-level vars, so that the re-executed child
// process knows them too.
var (
	GreeterKind = uactor.Define("greeter", func(ctx context.Context, greeting string) (*Greeter, error) {
		return &Greeter{greeting: greeting}, nil
	})
	Greet = uactor.Expose(GreeterKind, "greet", (*Greeter).Greet)
)

// The quickstart: spawn an actor in a new process and call it. (In a real
// program, uactor.Main() is the first statement of main; here TestMain calls it.)
func Example() {
	ctx := context.Background()
	greeter, err := uactor.Spawn(ctx, GreeterKind, "Hello")
	if err != nil {
		log.Fatal(err)
	}
	defer greeter.Close()

	msg, err := Greet.Call(ctx, greeter, "world")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg == fmt.Sprintf("Hello, world, from process %d", greeter.PID()))
	fmt.Println("caller and actor are different processes:", greeter.PID() != os.Getpid())
	// Output:
	// true
	// caller and actor are different processes: true
}
