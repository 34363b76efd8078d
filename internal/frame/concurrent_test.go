package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/uactor-go/uactor/internal/conntest"
)

// connPair returns the two ends of a connection, closed at cleanup.
type connPair func(testing.TB) (net.Conn, net.Conn)

// TestConcurrentWriters has many goroutines write at once and checks that
// every frame arrives whole, intact, and in each goroutine's order.
func TestConcurrentWriters(t *testing.T) {
	const goroutines, perG = 100, 100
	tests := []struct {
		name   string
		pair   connPair
		sealed bool
		large  bool // every 25th frame is big enough to take the direct path
	}{
		{"pipe/plain", conntest.Pipe, false, false},
		{"pipe/sealed", conntest.Pipe, true, false},
		{"tcp/plain", conntest.TCP, false, true}, // batches and writev reach the kernel
		{"tcp/sealed", conntest.TCP, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := tt.pair(t)
			w, r := NewWriter(a, 0), NewReader(b, 0)
			if tt.sealed {
				w.SetAEAD(newGCM(t))
				r.SetAEAD(newGCM(t))
			}
			size := func(g, i int) int {
				if tt.large && i%25 == 0 {
					return directPayload + g
				}
				return 4 + (g*perG+i)%300
			}
			// Each payload starts with its goroutine and index, so that
			// one delivered to the wrong place shows.
			writeConcurrently(t, w, r, goroutines, perG, func(g, i int) []byte {
				p := pattern(g*perG+i, size(g, i))
				binary.BigEndian.PutUint16(p, uint16(g))
				binary.BigEndian.PutUint16(p[2:], uint16(i))
				return p
			})
			a.Close()
			if _, _, err := r.ReadFrame(); err != io.EOF && !errors.Is(err, io.ErrClosedPipe) {
				t.Fatalf("after close: %v, want io.EOF", err)
			}
		})
	}
}

// writeConcurrently has goroutines write perG frames each through w, frame i
// of goroutine g carrying payload(g, i) in two parts (to exercise the
// variadic path), and checks that r reads every frame whole, intact and in
// its goroutine's order. payload must return the same bytes for the same
// g and i.
func writeConcurrently(t *testing.T, w *Writer, r *Reader, goroutines, perG int, payload func(g, i int) []byte) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				p := payload(g, i)
				h := Header{Type: TypeCall, ID: uint64(g)<<32 | uint64(i)}
				if err := w.WriteFrame(h, p[:len(p)/2], p[len(p)/2:]); err != nil {
					errs <- err
					return
				}
			}
			errs <- w.Flush()
		})
	}

	next := make([]int, goroutines)
	for range goroutines * perG {
		h, buf, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		g, i := int(h.ID>>32), int(uint32(h.ID))
		if g >= goroutines || i != next[g] {
			t.Fatalf("frame %d of goroutine %d arrived, want %d", i, g, next[g])
		}
		next[g]++
		if !bytes.Equal(buf.B, payload(g, i)) {
			t.Fatalf("frame %d of goroutine %d garbled", i, g)
		}
		buf.Release()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
