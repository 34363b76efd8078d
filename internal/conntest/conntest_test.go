package conntest

import (
	"io"
	"net"
	"testing"
)

// Every pair is connected both ways.
func TestPairsConnect(t *testing.T) {
	for _, c := range []struct {
		name string
		pair func(testing.TB) (net.Conn, net.Conn)
	}{
		{"pipe", Pipe},
		{"tcp", TCP},
		{"unix", Unix},
	} {
		t.Run(c.name, func(t *testing.T) {
			client, server := c.pair(t)
			for _, dir := range [][2]net.Conn{{client, server}, {server, client}} {
				go dir[0].Write([]byte("hi"))
				var b [2]byte
				if _, err := io.ReadFull(dir[1], b[:]); err != nil || string(b[:]) != "hi" {
					t.Fatalf("read %q, %v", b, err)
				}
			}
		})
	}
}
