package spawn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
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
