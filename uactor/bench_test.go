package uactor_test

import (
	"context"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// The sequential round trip of a 64-byte request, and beside it the raw
// ping-pong of 64 bytes between two processes over a Unix socket with no
// library at all: compare the two from one run (pin with taskset -c 0 for
// the same-core figure).

func BenchmarkCallUnix64(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := uactor.Spawn(ctx, CounterKind, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	req := make([]byte, 64)
	if _, err := Echo.Call(ctx, r, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Echo.Call(ctx, r, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawUnix64(b *testing.B) {
	c := startRawEcho(b)
	msg := make([]byte, 4+64)
	binary.BigEndian.PutUint32(msg, 64)
	in := make([]byte, len(msg))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, in); err != nil {
			b.Fatal(err)
		}
	}
}

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
