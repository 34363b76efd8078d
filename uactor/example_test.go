package uactor_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

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

// On binds a method to an actor as a Handler, so that code written against
// Handler runs the same on a local function (HandlerFunc) and on a remote
// actor's method.
func ExampleMethod_On() {
	ctx := context.Background()
	greeter, err := uactor.Spawn(ctx, GreeterKind, "Hello")
	if err != nil {
		log.Fatal(err)
	}
	defer greeter.Close()

	greetAll := func(h uactor.Handler[string, string], names ...string) {
		for _, name := range names {
			msg, err := h.Handle(ctx, name)
			fmt.Println(strings.Fields(msg)[:2], err)
		}
	}
	local := uactor.HandlerFunc[string, string](func(ctx context.Context, name string) (string, error) {
		return "Hi, " + name + ", from here", nil
	})
	greetAll(local, "Ann")
	greetAll(Greet.On(greeter), "Bob")
	// Output:
	// [Hi, Ann,] <nil>
	// [Hello, Bob,] <nil>
}

// Connect reaches an actor that another process started, by its address and
// key: here the actor is spawned on loopback TCP first, as a server would.
func ExampleConnect() {
	ctx := context.Background()
	server, err := uactor.Spawn(ctx, GreeterKind, "Hi",
		uactor.Listen("tcp://127.0.0.1:0"), uactor.AuthKey([]byte("SECRET")))
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()

	// Elsewhere, with only the address and the key:
	remote, err := uactor.Connect(ctx, GreeterKind, server.Address(), []byte("SECRET"))
	if err != nil {
		log.Fatal(err)
	}
	defer remote.Close() // disconnects; the actor keeps running
	msg, _ := Greet.Call(ctx, remote, "there")
	fmt.Println(remote.PID() == server.PID(), strings.HasPrefix(msg, "Hi, there"))

	_, err = uactor.Connect(ctx, GreeterKind, server.Address(), []byte("wrong"))
	fmt.Println(errors.Is(err, uactor.ErrAuthKey))
	// Output:
	// true true
	// true
}

// Host serves a value as an actor inside this process: what an actor does to
// hand out a live object it holds, and an in-process actor for unit tests.
func ExampleHost() {
	ctx := context.Background()
	g := &Greeter{greeting: "Hello"}
	ref, err := uactor.Host(ctx, GreeterKind, g)
	if err != nil {
		log.Fatal(err)
	}
	defer ref.Close()
	msg, _ := Greet.Call(ctx, ref, "host")
	fmt.Println(ref.PID() == os.Getpid(), strings.HasPrefix(msg, "Hello, host"))
	// Output: true true
}

// A registered error keeps its identity across processes: errors.Is holds
// in the caller for what the handler returned (ErrNegative is registered in
// this package's tests with uactor.RegisterError).
func ExampleRegisterError() {
	ctx := context.Background()
	counter, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer counter.Close()
	_, err = Add.Call(ctx, counter, -1)
	fmt.Println(errors.Is(err, ErrNegative))
	fmt.Println(err)
	// Output:
	// true
	// uactor: add: add -1: negative amount
}

// Done and Err tell the owner when its actor's process ended, and how.
func ExampleRef_Done() {
	ctx := context.Background()
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	Exit.Call(ctx, r, 3) // the actor calls os.Exit(3)
	<-r.Done()
	var exit *uactor.ExitError
	if errors.As(r.Err(), &exit) {
		fmt.Println("exit code", exit.ExitCode, "died:", errors.Is(r.Err(), uactor.ErrActorDied))
	}
	// Output: exit code 3 died: true
}

// With Restart, the owner starts a dead actor again, at the same address
// and with the same argument; the ref, and every copy of it, keeps working.
func ExampleRestart() {
	ctx := context.Background()
	r, err := uactor.Spawn(ctx, CounterKind, 10, uactor.Restart(5, time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	Add.Call(ctx, r, 1)
	Exit.Call(ctx, r, 1)          // a crash: the call fails with ErrActorDied
	n, err := Add.Call(ctx, r, 1) // waits for the restart
	fmt.Println(n, err)
	// Output: 11 <nil>
}

// Standby keeps a process started and waiting: the Spawn after it hands
// the actor to that process instead of starting one, which is most of a
// spawn's time, and another standby starts in the background.
func ExampleStandby() {
	ctx := context.Background()
	if err := uactor.Standby(ctx, 1); err != nil {
		log.Fatal(err)
	}
	defer uactor.Standby(ctx, 0) // ends the standby waiting now
	r, err := uactor.Spawn(ctx, CounterKind, 1)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	n, err := Add.Call(ctx, r, 1)
	fmt.Println(n, err)
	// Output: 2 <nil>
}

// Spin(0) makes a connection's reader sleep at once while it waits, as a
// plain socket read does: for actors called back to back on a host whose
// spare CPU time belongs to something else. Given to Spawn, as here, it
// holds in the actor and on the owner's connection to it; given to Define,
// on every connection of the kind. Calls work the same either way.
func ExampleSpin() {
	ctx := context.Background()
	r, err := uactor.Spawn(ctx, CounterKind, 40, uactor.Spin(0))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	n, err := Add.Call(ctx, r, 2)
	fmt.Println(n, err)
	// Output: 42 <nil>
}

// Output tells actors' lines apart: each arrives as "kind[pid] line". An
// owner's Close returns once what the actor wrote has reached the writer.
func ExampleOutput() {
	ctx := context.Background()
	var out strings.Builder // one actor's lines come one at a time
	r, err := uactor.Spawn(ctx, CounterKind, 0, uactor.Output(&out))
	if err != nil {
		log.Fatal(err)
	}
	Print.Call(ctx, r, 1) // the actor prints "line 0 of 1 xxx…" to its stdout
	pid := r.PID()
	r.Close()
	line := strings.ReplaceAll(out.String(), strconv.Itoa(pid), "<pid>")
	fmt.Print(strings.TrimRight(line, "x\n"), "…\n")
	// Output: counter[<pid>] line 0 of 1 …
}

// Tagger is a hosted actor that reads its caller's metadata.
type Tagger struct{}

func (Tagger) Tag(ctx context.Context, _ uactor.Empty) (string, error) {
	v, _ := uactor.MetadataFrom(ctx, "tenant")
	_, hasDeadline := ctx.Deadline()
	return fmt.Sprintf("tenant=%s deadline=%v", v, hasDeadline), nil
}

var (
	TaggerKind = uactor.Define("tagger", func(context.Context, uactor.Empty) (Tagger, error) { return Tagger{}, nil })
	Tag        = uactor.Expose(TaggerKind, "tag", Tagger.Tag)
)

// Metadata and the deadline travel with a call; the handler's context has them.
func ExampleWithMetadata() {
	ctx := context.Background()
	r, err := uactor.Host(ctx, TaggerKind, Tagger{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	ctx, cancel := context.WithTimeout(uactor.WithMetadata(ctx, "tenant", "acme"), time.Minute)
	defer cancel()
	fmt.Println(Tag.Call(ctx, r, uactor.Empty{}))
	// Output: tenant=acme deadline=true <nil>
}

// A client interceptor adds metadata to every call through a ref; a server
// interceptor (here on a hosted actor) can refuse calls before they run.
func ExampleClientInterceptors() {
	ctx := context.Background()
	requireTenant := func(ctx context.Context, info uactor.CallInfo, req any, handle uactor.ServerHandler) (any, error) {
		if _, ok := uactor.MetadataFrom(ctx, "tenant"); !ok {
			return nil, errors.New("no tenant")
		}
		return handle(ctx, req)
	}
	addTenant := func(ctx context.Context, info uactor.CallInfo, req, resp any, invoke uactor.Invoker) error {
		return invoke(uactor.WithMetadata(ctx, "tenant", "acme"), req, resp)
	}
	key := []byte("example key")
	r, err := uactor.Host(ctx, TaggerKind, Tagger{}, uactor.AuthKey(key), uactor.ServerInterceptors(requireTenant))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	_, err = Tag.Call(ctx, r, uactor.Empty{})
	fmt.Println(err)

	c, err := uactor.Connect(ctx, TaggerKind, r.Address(), key, uactor.ClientInterceptors(addTenant))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println(Tag.Call(ctx, c, uactor.Empty{}))
	// Output:
	// uactor: tag: no tenant
	// tenant=acme deadline=false <nil>
}
