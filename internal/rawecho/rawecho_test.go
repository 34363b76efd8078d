package rawecho

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
)

func TestEchoes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go Serve(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, n := range []int{0, 1, 64, 100 << 10} {
		msg := binary.BigEndian.AppendUint32(nil, uint32(n))
		msg = append(msg, bytes.Repeat([]byte{byte(n)}, n)...)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: echo differs (%v)", n, err)
		}
	}
}
