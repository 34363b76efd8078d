package spawn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("ab"), 5000)} {
		var buf bytes.Buffer
		if err := writeRecord(&buf, TagReady, data); err != nil {
			t.Fatal(err)
		}
		tag, got, err := readRecord(&buf)
		if err != nil || tag != TagReady || !bytes.Equal(got, data) {
			t.Fatalf("readRecord = %q, %d bytes, %v", tag, len(got), err)
		}
	}
}

func TestRecordBadInput(t *testing.T) {
	huge := []byte{TagBootstrap, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(huge[1:], MaxRecord+1)
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, io.EOF},
		{"short header", []byte{TagReady, 0}, io.ErrUnexpectedEOF},
		{"short body", []byte{TagReady, 0, 0, 0, 9, 'a'}, io.ErrUnexpectedEOF},
		{"over the cap", huge, ErrRecordTooLarge},
	}
	for _, c := range cases {
		if _, _, err := readRecord(bytes.NewReader(c.in)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v; want %v", c.name, err, c.want)
		}
	}
}

// Whatever bytes arrive, readRecord returns a record that is exactly the
// first bytes, or one of its three errors.
func FuzzReadRecord(f *testing.F) {
	for _, data := range [][]byte{nil, []byte("ready"), bytes.Repeat([]byte{0xff}, 300)} {
		b, _ := appendRecord(nil, TagReady, data)
		f.Add(b)
		f.Add(b[:len(b)-1])
	}
	f.Add([]byte{TagError, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		tag, data, err := readRecord(bytes.NewReader(p))
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrRecordTooLarge) {
				t.Fatalf("%x: %v", p, err)
			}
			return
		}
		if b, err := appendRecord(nil, tag, data); err != nil || !bytes.HasPrefix(p, b) {
			t.Fatalf("%x reads as tag %q with %x, which is not how it began", p, tag, data)
		}
	})
}

// A header that promises a record of MaxRecord bytes costs the reader
// memory only as the bytes come: one that brings a few, then ends, is
// read with little allocated. Before, the reader allocated MaxRecord
// bytes at once, for each such header (a fuzzer's, say).
func TestRecordPromisedLengthAllocatesAsDataComes(t *testing.T) {
	in := []byte{TagReady, 0, 0, 0, 0, 'a', 'b'}
	binary.BigEndian.PutUint32(in[1:], MaxRecord)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := readRecord(bytes.NewReader(in))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v; want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > MaxRecord/16 {
		t.Fatalf("reading a 2-byte record that promised %d bytes allocated %d bytes", MaxRecord, got)
	}
}
