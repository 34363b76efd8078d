package bench

import (
	"context"
	"fmt"
	"net"
	"testing"

	"storj.io/drpc"
	"storj.io/drpc/drpcconn"
	"storj.io/drpc/drpcmux"
	"storj.io/drpc/drpcserver"
)

// storj's drpc: drpcmux and drpcserver in the child, a drpcconn client, with
// a hand-written encoding for raw bytes and a hand-written description (no
// protoc). A drpc connection runs one call at a time: concurrent callers
// wait their turn for it.

// drpcBytes is the message: the payload itself.
type drpcBytes []byte

// rawEncoding marshals *drpcBytes as their bytes.
type rawEncoding struct{}

func (rawEncoding) Marshal(msg drpc.Message) ([]byte, error) {
	p, ok := msg.(*drpcBytes)
	if !ok {
		return nil, fmt.Errorf("rawEncoding: cannot marshal %T", msg)
	}
	return *p, nil
}

// MarshalAppend lets drpc append into its own reused buffer (see drpcenc).
func (rawEncoding) MarshalAppend(buf []byte, msg drpc.Message) ([]byte, error) {
	p, ok := msg.(*drpcBytes)
	if !ok {
		return nil, fmt.Errorf("rawEncoding: cannot marshal %T", msg)
	}
	return append(buf, *p...), nil
}

func (rawEncoding) Unmarshal(buf []byte, msg drpc.Message) error {
	p, ok := msg.(*drpcBytes)
	if !ok {
		return fmt.Errorf("rawEncoding: cannot unmarshal into %T", msg)
	}
	*p = append(drpcBytes{}, buf...) // a copy: drpc reuses buf
	return nil
}

type drpcEcho struct{}

func (*drpcEcho) Echo(_ context.Context, in *drpcBytes) (*drpcBytes, error) { return in, nil }

const drpcEchoMethod = "/bench.Echo/Echo"

// drpcEchoDesc describes drpcEcho's one method, as generated code would.
type drpcEchoDesc struct{}

func (drpcEchoDesc) NumMethods() int { return 1 }

func (drpcEchoDesc) Method(n int) (string, drpc.Encoding, drpc.Receiver, any, bool) {
	if n != 0 {
		return "", nil, nil, nil, false
	}
	return drpcEchoMethod, rawEncoding{},
		func(srv any, ctx context.Context, in1, _ any) (drpc.Message, error) {
			return srv.(*drpcEcho).Echo(ctx, in1.(*drpcBytes))
		}, (*drpcEcho).Echo, true
}

func serveDRPC(ln net.Listener) error {
	mux := drpcmux.New()
	if err := mux.Register(&drpcEcho{}, drpcEchoDesc{}); err != nil {
		return err
	}
	return drpcserver.New(mux).Serve(context.Background(), ln)
}

func startDRPC(tb testing.TB) echoFunc {
	c := drpcconn.New(dialUnix(tb, startServer(tb, "drpc")))
	tb.Cleanup(func() { c.Close() })
	return func(ctx context.Context, req []byte) ([]byte, error) {
		in, out := drpcBytes(req), drpcBytes(nil)
		if err := c.Invoke(ctx, drpcEchoMethod, rawEncoding{}, &in, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
}
