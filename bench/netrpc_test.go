package bench

import (
	"context"
	"net"
	"net/rpc"
	"testing"
)

// The standard library's net/rpc (gob encoding), its server in the child,
// one rpc.Client (which multiplexes calls) in the test process.

// Payload is the request and the reply: net/rpc wants exported types.
type Payload struct{ B []byte }

// EchoService is the net/rpc service.
type EchoService struct{}

// Echo sends the bytes back.
func (*EchoService) Echo(args *Payload, reply *Payload) error {
	reply.B = args.B
	return nil
}

func serveNetRPC(ln net.Listener) error {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Echo", new(EchoService)); err != nil {
		return err
	}
	if err := srv.RegisterName("Doc", new(DocService)); err != nil { // BenchmarkStruct's
		return err
	}
	srv.Accept(ln) // returns when the listener fails
	return nil
}

func startNetRPC(tb testing.TB) echoFunc {
	c := rpc.NewClient(dialUnix(tb, startServer(tb, "netrpc")))
	tb.Cleanup(func() { c.Close() })
	return func(ctx context.Context, req []byte) ([]byte, error) {
		var reply Payload
		call := c.Go("Echo.Echo", &Payload{B: req}, &reply, make(chan *rpc.Call, 1))
		select {
		case <-call.Done:
			return reply.B, call.Error
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
