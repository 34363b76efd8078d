package frame

import "testing"

// benchSize measures a frame of size bytes through an in-memory loopback.
func benchSize(b *testing.B, size int, sealed bool) {
	var lb loopback
	w, r := NewWriter(&lb, 0), NewReader(&lb, 0)
	if sealed {
		w.SetAEAD(newGCM(b))
		r.SetAEAD(newGCM(b))
	}
	benchWriteRead(b, w, r, pattern(1, size))
}

// BenchmarkWriteRead64 is the common small call; it must not allocate.
func BenchmarkWriteRead64(b *testing.B) { benchSize(b, 64, false) }

// BenchmarkWriteRead64Sealed adds AES-256-GCM to the small call.
func BenchmarkWriteRead64Sealed(b *testing.B) { benchSize(b, 64, true) }

// BenchmarkWriteRead1MiB measures a bulk payload, which the Writer sends
// without copying.
func BenchmarkWriteRead1MiB(b *testing.B) { benchSize(b, 1<<20, false) }

// BenchmarkWriteRead1MiBSealed measures a sealed bulk payload.
func BenchmarkWriteRead1MiBSealed(b *testing.B) { benchSize(b, 1<<20, true) }
