package bench

import (
	"context"
	"fmt"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
)

// gRPC-go: one unary method over HTTP/2 on the Unix socket, with a
// hand-written codec for raw bytes and a hand-written service description
// (no protoc, no generated code). Defaults otherwise: window sizes, buffer
// sizes and message limits are gRPC's own.

// bytesCodec carries a *[]byte as the message itself, with no envelope.
type bytesCodec struct{}

func (bytesCodec) Name() string { return "bytes" }

func (bytesCodec) Marshal(v any) (mem.BufferSlice, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("bytesCodec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(*p)}, nil
}

func (bytesCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("bytesCodec: cannot unmarshal into %T", v)
	}
	*p = data.Materialize() // a copy: data is freed when this returns
	return nil
}

// grpcEchoServer is the service's handler type, as generated code would declare it.
type grpcEchoServer interface {
	Echo(ctx context.Context, req *[]byte) (*[]byte, error)
}

type grpcEcho struct{}

func (grpcEcho) Echo(_ context.Context, req *[]byte) (*[]byte, error) { return req, nil }

const grpcEchoMethod = "/bench.Echo/Echo"

var grpcEchoDesc = grpc.ServiceDesc{
	ServiceName: "bench.Echo",
	HandlerType: (*grpcEchoServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new([]byte)
			if err := dec(in); err != nil {
				return nil, err
			}
			if interceptor == nil {
				return srv.(grpcEchoServer).Echo(ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: grpcEchoMethod}
			return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
				return srv.(grpcEchoServer).Echo(ctx, req.(*[]byte))
			})
		},
	}},
	Metadata: "bench",
}

func serveGRPC(ln net.Listener) error {
	s := grpc.NewServer(grpc.ForceServerCodecV2(bytesCodec{}))
	s.RegisterService(&grpcEchoDesc, grpcEcho{})
	return s.Serve(ln)
}

func startGRPC(tb testing.TB) echoFunc {
	tb.Helper()
	path := startServer(tb, "grpc")
	cc, err := grpc.NewClient("unix://"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(bytesCodec{})))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cc.Close() })
	return func(ctx context.Context, req []byte) ([]byte, error) {
		var reply []byte
		err := cc.Invoke(ctx, grpcEchoMethod, &req, &reply)
		return reply, err
	}
}
