package main

import (
	"context"
	"errors"
	"net"
	"net/rpc"
	"path/filepath"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// floors are the children that the library is measured against, over one network.
type floors struct {
	raw           *child
	rawConn       net.Conn
	rawOwning     *child   // nil unless asked for
	rawOwningConn net.Conn // to a raw echo that reads each message into a new array; nil unless asked for
	rpcChild      *child
	rpc           *rpc.Client
	rpcConn       net.Conn // the rpc client's
}

// startFloors starts the raw echo and the net/rpc child for network, and
// with owning the raw echo that owns what it receives too, and connects
// to them; cl closes them all.
func startFloors(ctx context.Context, network, dir string, owning bool, cl *cleanups) (*floors, error) {
	addr := func(name string) string {
		if network == "unix" {
			return filepath.Join(dir, name+".sock")
		}
		return "127.0.0.1:0"
	}
	f := &floors{}
	var err error
	if f.raw, f.rawConn, err = startDialed(ctx, "raw", network, addr("raw"), cl); err != nil {
		return nil, err
	}
	if owning {
		if f.rawOwning, f.rawOwningConn, err = startDialed(ctx, "rawowning", network, addr("rawowning"), cl); err != nil {
			return nil, err
		}
	}
	if f.rpcChild, f.rpcConn, err = startDialed(ctx, "rpc", network, addr("rpc"), cl); err != nil {
		return nil, err
	}
	// Closing the connection is all that the client's Close would do: its
	// reader then ends, failing any call in flight.
	f.rpc = rpc.NewClient(f.rpcConn)
	return f, nil
}

// rawConnFor is the connection to the raw echo that owns what it receives,
// with owning, or to the one that reuses its array.
func (f *floors) rawConnFor(owning bool) net.Conn {
	if owning {
		return f.rawOwningConn
	}
	return f.rawConn
}

// startDialed starts a floor's child of the given mode and connects to it;
// cl closes both, and the connection is closed as soon as ctx ends, so that
// a call on it returns.
func startDialed(ctx context.Context, mode, network, addr string, cl *cleanups) (*child, net.Conn, error) {
	c, err := startChild(mode, network, addr)
	if err != nil {
		return nil, nil, err
	}
	cl.add(c.Close)
	conn, err := dialed(ctx, c, cl)
	if err != nil {
		return nil, nil, err
	}
	return c, conn, nil
}

// dialed connects to c; cl closes the connection, which is closed as soon
// as ctx ends too.
func dialed(ctx context.Context, c *child, cl *cleanups) (net.Conn, error) {
	conn, err := c.dial()
	if err != nil {
		return nil, err
	}
	cl.add(func() { conn.Close() })
	cl.add(onCancel(ctx, func() { conn.Close() }))
	return conn, nil
}

// redial replaces the floors' connections with new ones to the same children.
func (f *floors) redial(ctx context.Context, cl *cleanups) error {
	f.rawConn.Close()
	if f.rawOwningConn != nil {
		f.rawOwningConn.Close()
	}
	f.rpcConn.Close()
	var err error
	if f.rawConn, err = dialed(ctx, f.raw, cl); err != nil {
		return err
	}
	if f.rawOwning != nil {
		if f.rawOwningConn, err = dialed(ctx, f.rawOwning, cl); err != nil {
			return err
		}
	}
	if f.rpcConn, err = dialed(ctx, f.rpcChild, cl); err != nil {
		return err
	}
	f.rpc = rpc.NewClient(f.rpcConn)
	return nil
}

// boundedFloors is bounded over f's connections and extra ones. A
// measurement that stalls leaves them failing (a deadline in the past, the
// raw stream perhaps cut mid-message, the net/rpc client shut down), so
// that f's are then dialed anew: a stall costs the one measurement, not
// the floors of every one after it. It reports whether the measurement
// stalled: the extra connections are then the caller's to replace.
func boundedFloors[T any](ctx context.Context, d time.Duration, f *floors, extra []net.Conn, cl *cleanups, measure func(context.Context) T) (v T, stalled bool, err error) {
	conns := append([]net.Conn{f.rawConn, f.rpcConn}, extra...)
	if f.rawOwningConn != nil {
		conns = append(conns, f.rawOwningConn)
	}
	v = bounded(ctx, d, conns, func(mctx context.Context) T {
		defer func() { stalled = errors.Is(mctx.Err(), context.DeadlineExceeded) }()
		return measure(mctx)
	})
	if stalled && ctx.Err() == nil {
		err = f.redial(ctx, cl)
	}
	return v, stalled, err
}

var errShortEcho = errors.New("echo: reply of the wrong length")

// oursCall is one call through the library; with lent, one that lends its
// request to the handler and gives the response's array back.
func oursCall(ctx context.Context, ref uactor.Ref[*echoActor], req []byte, lent bool) func() error {
	return func() error {
		var resp []byte
		var err error
		if lent {
			resp, err = echoLentMethod.Call(ctx, ref, uactor.Lent(req))
		} else {
			resp, err = echoMethod.Call(ctx, ref, req)
		}
		if err == nil && len(resp) != len(req) {
			err = errShortEcho
		}
		if lent {
			uactor.Recycle(resp)
		}
		return err
	}
}

// rpcCall is one net/rpc call of Echo.Echo. Its reply is decoded into the
// last one's array, as gob does for a reused []byte; with owning, into a
// new one, as a caller that keeps each reply must.
func rpcCall(c *rpc.Client, req []byte, owning bool) func() error {
	var reply []byte
	return func() error {
		if owning {
			reply = nil
		}
		err := c.Call("Echo.Echo", req, &reply)
		if err == nil && len(reply) != len(req) {
			err = errShortEcho
		}
		return err
	}
}

// cleanups runs what it was given, last first.
type cleanups []func()

func (c *cleanups) add(f func()) { *c = append(*c, f) }

func (c *cleanups) run() {
	for i := len(*c) - 1; i >= 0; i-- {
		(*c)[i]()
	}
	*c = nil
}

// onCancel runs f if ctx ends before the returned function is called.
func onCancel(ctx context.Context, f func()) func() {
	stop := context.AfterFunc(ctx, f)
	return func() { stop() }
}
