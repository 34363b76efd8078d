package frame

import "testing"

func TestGetBuffer(t *testing.T) {
	tests := []struct {
		n       int
		wantCap int // 0: not pooled, exact size
		class   int
	}{
		{0, 256, 0},
		{1, 256, 0},
		{256, 256, 0},
		{257, 512, 1},
		{64 << 10, 64 << 10, 8},
		{1<<20 + 1, 2 << 20, 13},
		{4 << 20, 4 << 20, 14},
		{4<<20 + 1, 0, -1},
	}
	for _, tt := range tests {
		b := GetBuffer(tt.n)
		if len(b.B) != tt.n {
			t.Errorf("GetBuffer(%d): len %d", tt.n, len(b.B))
		}
		if b.class != tt.class {
			t.Errorf("GetBuffer(%d): class %d, want %d", tt.n, b.class, tt.class)
		}
		if tt.wantCap != 0 && cap(b.buf) != tt.wantCap {
			t.Errorf("GetBuffer(%d): cap %d, want %d", tt.n, cap(b.buf), tt.wantCap)
		}
		b.Release()
		if b.B != nil {
			t.Errorf("GetBuffer(%d): B not cleared by Release", tt.n)
		}
	}
}

func TestBufferReleaseNil(t *testing.T) {
	var b *Buffer
	b.Release() // must not panic
}

func TestGetBufferNegative(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("GetBuffer(-1) did not panic")
		}
	}()
	GetBuffer(-1)
}
