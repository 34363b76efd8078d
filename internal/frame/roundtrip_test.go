package frame

import (
	"bytes"
	"crypto/cipher"
	"io"
	"testing"
	"testing/iotest"
)

// roundTripCase is one frame to send: its header, its payload in parts, and
// the payload the reader must see.
type roundTripCase struct {
	name  string
	h     Header
	parts [][]byte
}

func (c roundTripCase) want() []byte { return bytes.Join(c.parts, nil) }

func roundTripCases() []roundTripCase {
	var cases []roundTripCase
	for typ := TypeCall; typ <= TypeGoAway; typ++ {
		cases = append(cases, roundTripCase{typ.String(), Header{Type: typ, ID: uint64(typ) * 1000}, [][]byte{pattern(int(typ), 10)}})
	}
	return append(cases,
		roundTripCase{"id 0", Header{Type: TypePing}, nil},
		roundTripCase{"id max", Header{Type: TypeCall, ID: 1<<64 - 1}, [][]byte{{1}}},
		roundTripCase{"empty payload", Header{Type: TypeReply, ID: 7}, [][]byte{}},
		roundTripCase{"empty parts", Header{Type: TypeReply, ID: 8}, [][]byte{nil, {}, nil}},
		roundTripCase{"64 B", Header{Type: TypeCall, ID: 9}, [][]byte{pattern(9, 64)}},
		roundTripCase{"multi-part", Header{Type: TypeCall, ID: 10}, [][]byte{[]byte("Service.Method\x00"), pattern(10, 300), {}, pattern(11, 5)}},
		roundTripCase{"64 KiB", Header{Type: TypeReply, ID: 11}, [][]byte{pattern(12, 64<<10)}},
		roundTripCase{"1 MiB", Header{Type: TypeReply, ID: 12}, [][]byte{pattern(13, 1<<20)}},
		roundTripCase{"1 MiB in parts", Header{Type: TypeReply, ID: 13}, [][]byte{pattern(14, 100), pattern(15, 1<<20-100)}},
	)
}

// modes lists the ways a stream can be carried: plain or sealed, and read
// normally or one byte per Read call.
var modes = []mode{
	{"plain", false, false},
	{"sealed", true, false},
	{"plain/one-byte", false, true},
	{"sealed/one-byte", true, true},
}

// mode is one way of carrying a stream.
type mode struct {
	name    string
	sealed  bool
	oneByte bool
}

// writer returns a Writer to stream, sealed if m is.
func (m mode) writer(t *testing.T, stream io.Writer) *Writer {
	w := NewWriter(stream, 0)
	if m.sealed {
		w.SetAEAD(newGCM(t))
	}
	return w
}

// reader returns a Reader of stream as m carries it.
func (m mode) reader(t *testing.T, stream io.Reader) *Reader {
	if m.oneByte {
		stream = iotest.OneByteReader(stream)
	}
	r := NewReader(stream, 0)
	if m.sealed {
		r.SetAEAD(newGCM(t))
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			var stream bytes.Buffer
			cases := roundTripCases()
			writeFrames(t, m.writer(t, &stream), cases)
			expectFrames(t, m.reader(t, &stream), cases)
		})
	}
}

// TestRoundTripWireBytes pins the plain encoding to the documented format.
func TestRoundTripWireBytes(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	if err := w.WriteFrame(Header{Type: TypeReply, ID: 0x0102030405060708}, []byte("ab"), []byte("c")); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 15, 2, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 'a', 'b', 'c'}
	if !bytes.Equal(stream.Bytes(), want) {
		t.Fatalf("wire bytes\n got %x\nwant %x", stream.Bytes(), want)
	}
}

// TestSealedWireFormat checks the sealed encoding against an independent
// computation from the package documentation.
func TestSealedWireFormat(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream, 0)
	w.SetAEAD(newGCM(t))
	payloads := [][]byte{[]byte("first"), []byte("second")}
	for i, p := range payloads {
		if err := w.WriteFrame(Header{Type: TypeCall, ID: uint64(i + 1)}, p); err != nil {
			t.Fatal(err)
		}
	}
	a := newGCM(t)
	frames := splitFrames(t, stream.Bytes())
	for seq, p := range payloads {
		want := sealByHand(a, uint64(seq), Header{Type: TypeCall, ID: uint64(seq + 1)}, p)
		if !bytes.Equal(frames[seq], want) {
			t.Errorf("frame %d\n got %x\nwant %x", seq, frames[seq], want)
		}
	}
}

func sealByHand(a cipher.AEAD, seq uint64, h Header, payload []byte) []byte {
	plain := rawBody(h.Type, h.Flags, 0, h.ID, payload)
	length := uint32(len(plain) + a.Overhead())
	prefix := rawFrame(length)
	nonce := make([]byte, 12)
	for i := range 8 {
		nonce[4+i] = byte(seq >> (56 - 8*i))
	}
	return a.Seal(prefix, nonce, plain, prefix)
}

// TestReadAllocs guards the zero-allocation steady state that
// BenchmarkWriteRead64 measures.
func TestReadAllocs(t *testing.T) {
	var lb loopback
	checkNoAllocs(t, NewWriter(&lb, 0), NewReader(&lb, 0), pattern(1, 64))
}

// writeFrames writes cases to w in order and flushes.
func writeFrames(t *testing.T, w *Writer, cases []roundTripCase) {
	t.Helper()
	for _, c := range cases {
		if err := w.WriteFrame(c.h, c.parts...); err != nil {
			t.Fatalf("%s: WriteFrame: %v", c.name, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// expectFrames reads cases from r in order, each with its header and
// payload, then a clean end of stream.
func expectFrames(t *testing.T, r *Reader, cases []roundTripCase) {
	t.Helper()
	for _, c := range cases {
		h, b, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("%s: ReadFrame: %v", c.name, err)
		}
		if h != c.h {
			t.Errorf("%s: header %+v, want %+v", c.name, h, c.h)
		}
		if !bytes.Equal(b.B, c.want()) {
			t.Errorf("%s: payload differs (len %d, want %d)", c.name, len(b.B), len(c.want()))
		}
		b.Release()
	}
	if _, _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("ReadFrame at end = %v, want io.EOF", err)
	}
}
