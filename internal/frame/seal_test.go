package frame

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"
	"time"
)

// sealedFrames returns n sealed frames, as the peer's Writer would send
// them, each as its own byte slice.
func sealedFrames(t *testing.T, n int) [][]byte {
	t.Helper()
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	w.SetAEAD(newGCM(t))
	for i := range n {
		if err := w.WriteFrame(Header{Type: TypeCall, ID: uint64(i)}, pattern(i, 40)); err != nil {
			t.Fatal(err)
		}
	}
	frames := splitFrames(t, stream.Bytes())
	if len(frames) != n {
		t.Fatalf("%d frames, want %d", len(frames), n)
	}
	return frames
}

func TestSealedAttacks(t *testing.T) {
	f := sealedFrames(t, 3)
	flip := func(frame []byte, i int) []byte {
		b := bytes.Clone(frame)
		b[i] ^= 0x01
		return b
	}
	withLength := func(frame []byte, length uint32) []byte {
		b := bytes.Clone(frame)
		binary.BigEndian.PutUint32(b, length)
		return b
	}
	length := binary.BigEndian.Uint32(f[0])
	tests := []struct {
		name   string
		stream [][]byte
		good   int // frames expected to open before the failure
	}{
		{"tamper first body byte", [][]byte{flip(f[0], 4), f[1]}, 0},
		{"tamper middle body byte", [][]byte{flip(f[0], 20), f[1]}, 0},
		{"tamper tag", [][]byte{flip(f[0], len(f[0])-1), f[1]}, 0},
		{"tamper second frame", [][]byte{f[0], flip(f[1], 30), f[2]}, 1},
		{"length one short", [][]byte{withLength(f[0], length-1), f[1]}, 0},
		{"length one long", [][]byte{withLength(f[0], length+1), f[1]}, 0},
		{"swap", [][]byte{f[1], f[0]}, 0},
		{"replay", [][]byte{f[0], f[0], f[1]}, 1},
		{"drop", [][]byte{f[0], f[2]}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(bytes.Join(tt.stream, nil)), 0)
			r.SetAEAD(newGCM(t))
			for i := range tt.good {
				_, b, err := r.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				b.Release()
			}
			_, _, err := r.ReadFrame()
			if !errors.Is(err, ErrAuthFailed) {
				t.Fatalf("ReadFrame() = %v, want ErrAuthFailed", err)
			}
			if err.Error() != "frame: message authentication failed" {
				t.Errorf("error text %q", err)
			}
			// The connection is dead: even a frame that would open is refused.
			if _, _, again := r.ReadFrame(); again != err {
				t.Fatalf("after failure ReadFrame() = %v, want %v again", again, err)
			}
		})
	}
}

// TestSealedWrongKey checks that a peer with another key is refused.
func TestSealedWrongKey(t *testing.T) {
	f := sealedFrames(t, 1)
	block, err := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(f[0]), 0)
	r.SetAEAD(other)
	if _, _, err := r.ReadFrame(); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("ReadFrame() = %v, want ErrAuthFailed", err)
	}
}

// TestSealedPlainPeer checks that a plain frame is not accepted once
// sealing is on, even when it is long enough to look sealed.
func TestSealedPlainPeer(t *testing.T) {
	var stream bytes.Buffer
	if err := NewWriter(&stream, 0).WriteFrame(Header{Type: TypeCall, ID: 1}, pattern(1, 40)); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&stream, 0)
	r.SetAEAD(newGCM(t))
	if _, _, err := r.ReadFrame(); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("ReadFrame() = %v, want ErrAuthFailed", err)
	}
}

func TestSealedTooShort(t *testing.T) {
	for _, length := range []uint32{0, BodyHeaderSize, BodyHeaderSize + 15} {
		r := NewReader(bytes.NewReader(rawFrame(length, make([]byte, length)...)), 0)
		r.SetAEAD(newGCM(t))
		if _, _, err := r.ReadFrame(); !errors.Is(err, ErrMalformed) {
			t.Fatalf("length %d: ReadFrame() = %v, want ErrMalformed", length, err)
		}
	}
}

// TestSealedMaxCountsOverhead checks that the maximum applies to the sealed
// body, tag included, on both sides.
func TestSealedMaxCountsOverhead(t *testing.T) {
	const max = 100
	fits := make([]byte, max-BodyHeaderSize-16)
	var stream bytes.Buffer
	w := NewWriter(&stream, max)
	w.SetAEAD(newGCM(t))
	if err := w.WriteFrame(Header{Type: TypeCall}, fits); err != nil {
		t.Fatalf("payload of %d: %v", len(fits), err)
	}
	if err := w.WriteFrame(Header{Type: TypeCall}, fits, []byte{0}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("payload of %d: %v, want ErrTooLarge", len(fits)+1, err)
	}
	r := NewReader(&stream, max)
	r.SetAEAD(newGCM(t))
	_, b, err := r.ReadFrame()
	if err != nil || len(b.B) != len(fits) {
		t.Fatalf("ReadFrame() = %v", err)
	}
	b.Release()
}

func TestSequenceExhausted(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	w.SetAEAD(newGCM(t))
	w.s.seq = math.MaxUint64 - 1
	if err := w.WriteFrame(Header{Type: TypeCall}, []byte("last")); err != nil {
		t.Fatalf("last usable sequence number: %v", err)
	}
	for range 2 {
		if err := w.WriteFrame(Header{Type: TypeCall}); !errors.Is(err, ErrSequenceExhausted) {
			t.Fatalf("WriteFrame past the end = %v, want ErrSequenceExhausted", err)
		}
	}

	r := NewReader(bytes.NewReader(stream.Bytes()), 0)
	r.SetAEAD(newGCM(t))
	r.s.seq = math.MaxUint64 - 1
	_, b, err := r.ReadFrame()
	if err != nil || string(b.B) != "last" {
		t.Fatalf("ReadFrame() = %q, %v", b.B, err)
	}
	b.Release()
	r = NewReader(bytes.NewReader(stream.Bytes()), 0)
	r.SetAEAD(newGCM(t))
	r.s.seq = math.MaxUint64
	if _, _, err := r.ReadFrame(); !errors.Is(err, ErrSequenceExhausted) {
		t.Fatalf("ReadFrame past the end = %v, want ErrSequenceExhausted", err)
	}
}

// A frame queued with the last sequence number still goes out when the
// next one fails for want of a number: Flush and Kick write it, and Flush
// returns, where it waited for ever for a frame nobody would write.
func TestSequenceExhaustedAfterQueue(t *testing.T) {
	for _, how := range []string{"Flush", "Kick"} {
		t.Run(how, func(t *testing.T) {
			var stream bytes.Buffer
			w := NewWriter(&stream, 0)
			w.SetAEAD(newGCM(t))
			w.s.seq = math.MaxUint64 - 1
			if err := w.QueueFrame(Header{Type: TypeCall}, []byte("last")); err != nil {
				t.Fatal(err)
			}
			if err := w.QueueFrame(Header{Type: TypeCall}); !errors.Is(err, ErrSequenceExhausted) {
				t.Fatalf("QueueFrame past the end = %v, want ErrSequenceExhausted", err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				if how == "Kick" {
					w.Kick()
				}
				w.Flush()
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Flush waits for ever for the frame queued before the numbers ran out")
			}
			r := NewReader(bytes.NewReader(stream.Bytes()), 0)
			r.SetAEAD(newGCM(t))
			r.s.seq = math.MaxUint64 - 1
			if _, b, err := r.ReadFrame(); err != nil || string(b.B) != "last" {
				t.Fatalf("the frame queued last: %v", err)
			}
		})
	}
}

// TestSetAEADKeepsSequence checks that installing an AEAD again does not
// restart the counter, which would reuse nonces under the same key.
func TestSetAEADKeepsSequence(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	w.SetAEAD(newGCM(t))
	for range 2 {
		if err := w.WriteFrame(Header{Type: TypePing}); err != nil {
			t.Fatal(err)
		}
		w.SetAEAD(newGCM(t))
	}
	f := splitFrames(t, stream.Bytes())
	if bytes.Equal(f[0], f[1]) {
		t.Fatal("identical frames after SetAEAD: nonce reused")
	}
	r := NewReader(&stream, 0)
	r.SetAEAD(newGCM(t))
	for range 2 {
		_, b, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		b.Release()
		r.SetAEAD(newGCM(t))
	}
}

func TestSetAEADPanics(t *testing.T) {
	block, err := aes.NewCipher(testKey)
	if err != nil {
		t.Fatal(err)
	}
	odd, err := cipher.NewGCMWithNonceSize(block, 16)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		a    cipher.AEAD
	}{
		{"nil", nil},
		{"16-byte nonce", odd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, set := range []func(cipher.AEAD){NewReader(nil, 0).SetAEAD, NewWriter(nil, 0).SetAEAD} {
				func() {
					defer func() {
						if recover() == nil {
							t.Fatal("SetAEAD did not panic")
						}
					}()
					set(tc.a)
				}()
			}
		})
	}
}

// A sealed frame is at least the body header and the tag: a shorter length
// is malformed as soon as it arrives (PROTOCOL.md, "Sealed frames"), with
// nothing of its body read or waited for.
func TestSealedShortLength(t *testing.T) {
	for _, length := range []uint32{0, BodyHeaderSize, BodyHeaderSize + 15} {
		r := NewReader(bytes.NewReader(binary.BigEndian.AppendUint32(nil, length)), 0)
		r.SetAEAD(newGCM(t))
		if _, _, err := r.ReadFrame(); !errors.Is(err, ErrMalformed) {
			t.Errorf("sealed length %d: %v; want ErrMalformed", length, err)
		}
	}
	r := NewReader(bytes.NewReader(binary.BigEndian.AppendUint32(nil, BodyHeaderSize+16)), 0)
	r.SetAEAD(newGCM(t))
	if _, _, err := r.ReadFrame(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("sealed length 28, no body: %v; want io.ErrUnexpectedEOF", err)
	}
}
