package frame

import (
	"bytes"
	"testing"
	"unsafe"
)

// at returns where b starts in memory.
func at(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// sameArray reports whether b starts inside the array that a starts: a
// given-back array may be reused a few bytes past where it was given.
func sameArray(b, a []byte) bool { return at(b) >= at(a) && at(b) < at(a)+uintptr(cap(a)) }

// A large payload lies where its frame would start aligned, plain or
// sealed, in a new array and in a given-back one alike, whether the
// library or a caller gave it back (a caller's payload starts a prefix
// into its body): the kernel then copies the stream's buffers to aligned
// destinations. (An array with no room to move is used as it is: see
// TestRecycle.)
func TestLargePayloadFrameAligned(t *testing.T) {
	const n = 1 << 20
	for _, m := range []mode{{name: "plain"}, {name: "sealed", sealed: true}} {
		t.Run(m.name, func(t *testing.T) {
			drainRecycled()
			var stream bytes.Buffer
			w, r := m.writer(t, &stream), m.reader(t, &stream)
			payload := make([]byte, n)
			for i := range 300 {
				if err := w.WriteFrame(Header{Type: TypeReply, ID: uint64(i)}, payload); err != nil {
					t.Fatal(err)
				}
				_, b, err := r.ReadFrame()
				if err != nil {
					t.Fatal(err)
				}
				if got := at(b.B) % frameAlign; got != HeaderSize%frameAlign {
					t.Fatalf("frame %d: payload %d bytes past an aligned address, want %d", i, got, HeaderSize%frameAlign)
				}
				switch i % 3 {
				case 0:
					b.Recycle()
				case 1:
					Recycle(b.B[5:]) // a caller's payload, past its call's prefix
				case 2:
					Recycle(b.B[3000:]) // one whose slack runs out in a few calls
				}
			}
		})
	}
}

// A Buffer that no stream is read into is placed as a frame with no
// header would be.
func TestOwnedWithoutLeadAligned(t *testing.T) {
	drainRecycled()
	for i := range 3 {
		b := GetBuffer(1<<maxClassShift + 1)
		if got := at(b.B) % frameAlign; got != 0 {
			t.Fatalf("buffer %d starts %d bytes past an aligned address", i, got)
		}
		b.Recycle()
	}
}
