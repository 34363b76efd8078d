package frame

import "testing"

// benchWriteRead encodes one frame and decodes it again through an
// in-memory loopback, so the figure is the framing cost alone.
func benchWriteRead(b *testing.B, size int, sealed bool) {
	var lb loopback
	w, r := NewWriter(&lb, 0), NewReader(&lb, 0)
	if sealed {
		w.SetAEAD(newGCM(b))
		r.SetAEAD(newGCM(b))
	}
	payload := pattern(1, size)
	h := Header{Type: TypeCall, ID: 42}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFrame(h, payload); err != nil {
			b.Fatal(err)
		}
		_, buf, err := r.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		buf.Release()
	}
}

// BenchmarkWriteRead64 is the common small call; it must not allocate.
func BenchmarkWriteRead64(b *testing.B) { benchWriteRead(b, 64, false) }

// BenchmarkWriteRead64Sealed adds AES-256-GCM to the small call.
func BenchmarkWriteRead64Sealed(b *testing.B) { benchWriteRead(b, 64, true) }

// BenchmarkWriteRead1MiB measures a bulk payload, which the Writer sends
// without copying.
func BenchmarkWriteRead1MiB(b *testing.B) { benchWriteRead(b, 1<<20, false) }

// BenchmarkWriteRead1MiBSealed measures a sealed bulk payload.
func BenchmarkWriteRead1MiBSealed(b *testing.B) { benchWriteRead(b, 1<<20, true) }
