package bench

import (
	"context"
	"fmt"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/uactor-go/uactor/uactor"
)

// BenchmarkStruct: one call in flight, server in a child process over a
// Unix socket, sending a Doc (about 1 KiB encoded) and getting it back:
//   - msgp: a uactor method whose request and response are the Doc, with
//     its msgp-generated codec;
//   - bytes: a uactor []byte echo of the same encoded size (no codec);
//   - netrpc-gob: net/rpc with the same Doc, encoded by gob.

func newDoc() Doc {
	d := Doc{ID: 1 << 40, Title: "A document of about one kilobyte", Body: strings.Repeat("lorem ipsum ", 50),
		Scores: map[string]float64{}, Author: Author{"Ada Lovelace", "ada@example.com", 1815},
		Created: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)}
	for i := range 10 {
		d.Tags = append(d.Tags, fmt.Sprintf("tag-number-%02d", i))
	}
	for i := range 8 {
		d.Scores[fmt.Sprintf("score-%d", i)] = float64(i) / 3
	}
	return d
}

type docActor struct{}

func (*docActor) Echo(_ context.Context, d Doc) (Doc, error) { return d, nil }

var (
	docKind   = uactor.Define("bench.doc", func(context.Context, uactor.Empty) (*docActor, error) { return &docActor{}, nil })
	docMethod = uactor.Expose(docKind, "echo", (*docActor).Echo)
)

// DocService is the net/rpc service for Doc (registered by serveNetRPC).
type DocService struct{}

// Echo sends the Doc back.
func (*DocService) Echo(args *Doc, reply *Doc) error {
	*reply = *args
	return nil
}

func BenchmarkStruct(b *testing.B) {
	doc := newDoc()
	enc, err := doc.MarshalMsg(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("%dB/msgp", len(enc)), func(b *testing.B) {
		r, err := uactor.Spawn(benchCtx(b), docKind, uactor.Empty{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Close() })
		loopStruct(b, len(enc), func(ctx context.Context) error {
			_, err := docMethod.Call(ctx, r, doc)
			return err
		})
	})
	b.Run(fmt.Sprintf("%dB/bytes", len(enc)), func(b *testing.B) {
		echo := startUactor(b)
		loopStruct(b, len(enc), func(ctx context.Context) error {
			_, err := echo(ctx, enc)
			return err
		})
	})
	b.Run(fmt.Sprintf("%dB/netrpc-gob", len(enc)), func(b *testing.B) {
		c := rpc.NewClient(dialUnix(b, startServer(b, "netrpc")))
		b.Cleanup(func() { c.Close() })
		loopStruct(b, len(enc), func(context.Context) error {
			var reply Doc
			return c.Call("Doc.Echo", &doc, &reply)
		})
	})
}

// loopStruct times call after one untimed first call.
func loopStruct(b *testing.B, size int, call func(ctx context.Context) error) {
	ctx := benchCtx(b)
	if err := call(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(2 * size))
	b.ReportAllocs()
	for b.Loop() {
		if err := call(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
