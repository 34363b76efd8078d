package uactor_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"log"

	"github.com/uactor-go/uactor/uactor"
)

// Digest checksums what it is sent, and sends blocks of data.
type Digest struct{}

// Sum does not keep its request, so it borrows it: a Lent.
func (Digest) Sum(ctx context.Context, b uactor.Lent) (uint32, error) {
	return crc32.ChecksumIEEE(b), nil
}

// Block returns n bytes of data.
func (Digest) Block(ctx context.Context, n int) ([]byte, error) {
	return bytes.Repeat([]byte{'u'}, n), nil
}

var (
	DigestKind = uactor.Define("digest", func(context.Context, uactor.Empty) (Digest, error) { return Digest{}, nil })
	Sum        = uactor.Expose(DigestKind, "sum", Digest.Sum)
	DataBlock  = uactor.Expose(DigestKind, "block", Digest.Block)
)

// A handler that does not keep its request takes it as a Lent: large
// requests are then read into arrays the actor reuses, not one new array
// each. The caller sends a Lent as it would a []byte.
func ExampleLent() {
	ctx := context.Background()
	d, err := uactor.Spawn(ctx, DigestKind, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	data := bytes.Repeat([]byte("uactor"), 1<<16)
	for range 3 {
		sum, err := Sum.Call(ctx, d, uactor.Lent(data))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%08x\n", sum)
	}
	// Output:
	// f6bf7229
	// f6bf7229
	// f6bf7229
}

// A caller done with a large response gives its array back, and a later
// response is read into it.
func ExampleRecycle() {
	ctx := context.Background()
	d, err := uactor.Spawn(ctx, DigestKind, uactor.Empty{})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	total := 0
	for range 4 {
		b, err := DataBlock.Call(ctx, d, 1<<20)
		if err != nil {
			log.Fatal(err)
		}
		total += bytes.Count(b, []byte{'u'})
		uactor.Recycle(b) // b is not used after this
	}
	fmt.Println(total)
	// Output: 4194304
}
