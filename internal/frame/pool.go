package frame

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Size classes are powers of two from 1<<minClassShift to 1<<maxClassShift
// bytes. Rounding up to a power of two wastes at most half a buffer but lets
// a handful of pools serve every size; buffers above the largest class are
// rare and big enough that pinning them in a pool would cost more than
// allocating them.
const (
	minClassShift = 8  // 256 B
	maxClassShift = 22 // 4 MiB
	numClasses    = maxClassShift - minClassShift + 1
)

var pools [numClasses]sync.Pool

// Buffer is a pooled byte slice holding a frame's payload. B is the payload;
// its backing array belongs to the pool, so Release must be called exactly
// once when the payload is no longer needed, and neither the Buffer nor B may
// be used afterwards.
type Buffer struct {
	// B is the payload. Callers may reslice it but must not rely on its
	// capacity, except that an owned Buffer's (see Own) runs to the end of
	// an array that nothing else uses.
	B []byte

	buf   []byte // the whole pooled array; B is a window into it
	class int    // index into pools, or -1 if not pooled
}

// classOf returns the pool index for an n-byte buffer, or -1 if n is too
// large to be pooled.
func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	shift := bits.Len(uint(n - 1)) // ceil(log2(n))
	if shift > maxClassShift {
		return -1
	}
	return shift - minClassShift
}

// GetBuffer returns a Buffer with len(B) == n. Its contents are unspecified:
// the caller is expected to overwrite all n bytes. The caller owns the Buffer
// and must Release it.
func GetBuffer(n int) *Buffer {
	if n < 0 {
		panic("frame: negative buffer size")
	}
	c := classOf(n)
	if c < 0 {
		return newOwned(n, 0)
	}
	if b, ok := pools[c].Get().(*Buffer); ok {
		b.B = b.buf[:n]
		return b
	}
	buf := make([]byte, 1<<(c+minClassShift))
	return &Buffer{B: buf[:n], buf: buf, class: c}
}

// newOwned returns an n-byte Buffer that belongs to no pool, for the body
// of a frame of which lead bytes come before it on the stream (0 for a
// Buffer that no stream is read into): a given-back array (see Recycle) if
// one has room, or a new one, its B starting about ownedOffset bytes into
// it. Either way B lies where its frame would start at a multiple of
// frameAlign, if the array has room for that.
func newOwned(n, lead int) *Buffer {
	buf := Recycled(n)
	if skip := frameGap(buf, lead); buf != nil && cap(buf)-skip >= n {
		// An array given back without that much slack (one of the size
		// its owner made it) is used as it is. A caller gives back a
		// payload that starts a call's prefix into its body, so an array
		// it gives back each call moves on by up to frameAlign bytes a
		// call, rather than by the prefix, until it is too small to reuse.
		buf = buf[skip : skip+n]
	}
	if buf == nil {
		size := (ownedOffset + frameAlign + n + ownedRound - 1) &^ (ownedRound - 1)
		a := make([]byte, size)
		skip := ownedOffset + frameGap(a[ownedOffset:], lead)
		buf = a[skip : skip+n]
	}
	return &Buffer{B: buf, buf: buf, class: -1}
}

// frameAlign is what a large body's frame is aligned to in its array: the
// cache line. The kernel hands a stream's bytes over in socket buffers
// that start at that alignment from the start of each write, so a frame
// that starts aligned in its receiver's array is copied to aligned
// destinations, where the kernel's copy (rep movsb on x86) runs faster
// than to ones a few bytes off.
const frameAlign = 64

// frameGap returns how many bytes into b a body must start for its frame,
// lead bytes before it, to start at a multiple of frameAlign.
func frameGap(b []byte, lead int) int {
	at := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return int((uintptr(lead) - at) & (frameAlign - 1))
}

// ownedRound is what an owned array's size is rounded up to, so that
// payloads a little apart in size (a request and its echo, say, which
// differ by the call's prefix) fit each other's recycled arrays.
const ownedRound = 64 << 10

// ownedOffset places a large payload away from the start of its page. A
// payload sent on as it was received (a reply that echoes its request, a
// call forwarded) sits a few bytes into its array, behind its call's
// prefix; TCP copies it into page-aligned socket buffers just after a
// 16-byte frame header. The copy's destination then lies a few bytes past
// its source modulo the page size, where the kernel's string copy (rep
// movsb on x86) can run several times slower. Half a page in, neither a
// header nor a prefix brings them that close.
const ownedOffset = 2048

// Own reports whether B may be kept after Release: true for a Buffer whose
// array belongs to no pool (a body of ownedBody bytes or more is read into
// an array of its own), so that a decoder can take B, capacity and all,
// over instead of copying it. A pooled Buffer's B must not be kept.
func (b *Buffer) Own() bool { return b.class < 0 }

// Release returns b to its pool. Calling it on a nil Buffer does nothing, so
// that error paths need not check. B is cleared so that a use after Release
// fails loudly instead of reading someone else's payload.
func (b *Buffer) Release() {
	if b == nil {
		return
	}
	b.B = nil
	if b.class < 0 {
		b.buf = nil
		return
	}
	pools[b.class].Put(b)
}
