package uactor_test

import (
	"context"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/rawecho"
	"github.com/uactor-go/uactor/uactor"
)

// Sequential round trips through the library, each beside the raw
// ping-pong of the same payload between two processes over the same
// transport with no library at all: compare figures from one run only, and
// pin both processes (taskset -c 0) for the same-core placement.

func benchCall(b *testing.B, size int, opts ...uactor.Option) {
	benchCallCtx(b, context.Background(), size, opts...)
}

// benchCallCtx makes the calls with callCtx: what it carries (a deadline,
// metadata) travels with every call. Like every set-up context here, the
// one for Spawn is cancelled before the calls begin, which stops its
// timer: while a runtime timer is pending, every wait of the calling
// process for input arms a kernel timer, which the raw benchmarks do not
// pay; the other benchmarks call with context.Background for the same reason.
func benchCallCtx(b *testing.B, callCtx context.Context, size int, opts ...uactor.Option) {
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	r, err := uactor.Spawn(sctx, CounterKind, 0, opts...)
	cancel() // before the calls
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchEcho(b, callCtx, r, size)
}

// benchEcho times round trips of size bytes through r, made with ctx.
func benchEcho(b *testing.B, ctx context.Context, r uactor.Ref[*Counter], size int) {
	req := make([]byte, size)
	if _, err := Echo.Call(ctx, r, req); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(2 * size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Echo.Call(ctx, r, req); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLent is benchCall with the request lent to the handler (Lent) and
// each response given back (Recycle): the calls that meet the floor which
// reuses its arrays.
func benchLent(b *testing.B, size int) {
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	r, err := uactor.Spawn(sctx, CounterKind, 0)
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	req := make([]byte, size)
	b.SetBytes(int64(2 * size))
	b.ReportAllocs()
	for b.Loop() {
		resp, err := EchoLent.Call(context.Background(), r, uactor.Lent(req))
		if err != nil {
			b.Fatal(err)
		}
		uactor.Recycle(resp)
	}
}

// benchHosted is benchCall with the actor in this process (Host), so that
// allocs/op counts both ends of a call: the caller's and the actor's.
func benchHosted(b *testing.B, size int) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	r, err := uactor.Host(ctx, CounterKind, &Counter{})
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchEcho(b, context.Background(), r, size)
}

// benchRaw is the floor of a call: the same echo with no library. With
// owning, both ends read each message into a new array, as a plain []byte
// call's caller and handler do; otherwise each reuses one, as a call that
// lends its request and recycles its response can.
func benchRaw(b *testing.B, network string, size int, owning bool) {
	call := rawecho.Caller(startRawEcho(b, network, owning), size, owning)
	b.SetBytes(int64(2 * size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
}

var tcp = uactor.Listen("tcp://127.0.0.1:0")

func BenchmarkCallUnix64(b *testing.B) { benchCall(b, 64) }

// A call that carries a deadline, and one that also carries a metadata pair.
func BenchmarkCallUnix64Deadline(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	benchCallCtx(b, ctx, 64)
}

func BenchmarkCallUnix64DeadlineMetadata(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	ctx = uactor.WithMetadata(ctx, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	benchCallCtx(b, ctx, 64)
}
func BenchmarkRawUnix64(b *testing.B)         { benchRaw(b, "unix", 64, false) }
func BenchmarkCallHostedUnix64(b *testing.B)  { benchHosted(b, 64) } // allocs: caller + actor
func BenchmarkCallTCP64Sealed(b *testing.B)   { benchConnected(b, 64, tcp) }
func BenchmarkCallTCP64Plain(b *testing.B)    { benchConnected(b, 64, tcp, uactor.Sealed(false)) }
func BenchmarkRawTCP64(b *testing.B)          { benchRaw(b, "tcp", 64, false) }
func BenchmarkCallUnix1MiB(b *testing.B)      { benchCall(b, 1<<20) }
func BenchmarkRawUnix1MiB(b *testing.B)       { benchRaw(b, "unix", 1<<20, false) }
func BenchmarkRawUnix1MiBOwning(b *testing.B) { benchRaw(b, "unix", 1<<20, true) }
func BenchmarkCallUnix1MiBLent(b *testing.B)  { benchLent(b, 1<<20) }
func BenchmarkCallTCP1MiBSealed(b *testing.B) { benchConnected(b, 1<<20, tcp) }
func BenchmarkCallTCP1MiBPlain(b *testing.B)  { benchConnected(b, 1<<20, tcp, uactor.Sealed(false)) }
func BenchmarkRawTCP1MiB(b *testing.B)        { benchRaw(b, "tcp", 1<<20, false) }

// 64 concurrent callers on one ref (one connection).
func BenchmarkCallUnix64Parallel(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	req := make([]byte, 64)
	b.ReportAllocs()
	b.SetParallelism(32) // 64 callers on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Echo.Call(ctx, r, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Spawn to first reply: re-exec, bootstrap, listen, dial, handshake, one call.
func BenchmarkSpawnToFirstReply(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for b.Loop() {
		r, err := uactor.Spawn(ctx, CounterKind, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Add.Call(ctx, r, 1); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		r.Close()
		b.StartTimer()
	}
}

// benchConnected is benchCall through a ref from Connect, as any process
// other than the owner calls: over the actor's Unix socket, or the address
// listen gives (nil: the Unix socket), sealed after the handshake like every
// transport unless opts say otherwise.
func benchConnected(b *testing.B, size int, listen uactor.Option, opts ...uactor.Option) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	key := uactor.NewKey()
	spawnOpts := append([]uactor.Option{uactor.AuthKey(key)}, opts...)
	if listen != nil {
		spawnOpts = append(spawnOpts, listen)
	}
	owner, err := uactor.Spawn(ctx, CounterKind, 0, spawnOpts...)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close()
	r, err := uactor.Connect(ctx, CounterKind, owner.Address(), key, opts...)
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchEcho(b, context.Background(), r, size)
}

func BenchmarkConnectedUnix64Sealed(b *testing.B)   { benchConnected(b, 64, nil) }
func BenchmarkConnectedUnix64Plain(b *testing.B)    { benchConnected(b, 64, nil, uactor.Sealed(false)) }
func BenchmarkConnectedUnix1MiBSealed(b *testing.B) { benchConnected(b, 1<<20, nil) }
func BenchmarkConnectedUnix1MiBPlain(b *testing.B) {
	benchConnected(b, 1<<20, nil, uactor.Sealed(false))
}

// Connect, first call, Close, over TCP, with a key this process has already
// stretched (BenchmarkStretchKey is the one-time cost of a new key).
func BenchmarkConnectToFirstReplyTCP(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	key := []byte("bench key")
	owner, err := uactor.Spawn(ctx, CounterKind, 0, tcp, uactor.AuthKey(key))
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close()
	b.ReportAllocs()
	for b.Loop() {
		r, err := uactor.Connect(ctx, CounterKind, owner.Address(), key)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Add.Call(ctx, r, 1); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// The one-time cost of a user key in a process: its stretching.
func BenchmarkStretchKey(b *testing.B) {
	for b.Loop() {
		uactor.StretchKey(uactor.NewKey())
	}
}
