package rawecho

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
)

// dialEcho starts serve on loopback TCP and connects to it.
func dialEcho(t *testing.T, serve func(net.Listener) error) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go serve(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// message is the n-byte message of the tests, with its length prefix.
func message(n int) []byte {
	msg := binary.BigEndian.AppendUint32(nil, uint32(n))
	return append(msg, bytes.Repeat([]byte{byte(n)}, n)...)
}

// expectEcho writes out in one write and checks that it comes back as is.
func expectEcho(t *testing.T, c net.Conn, out []byte) {
	t.Helper()
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(out))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, out) {
		t.Fatalf("%d bytes: echo differs (%v)", len(out), err)
	}
}

// servers are the two echoes, which must answer alike.
var servers = []struct {
	name  string
	serve func(net.Listener) error
}{{"reusing", Serve}, {"owning", ServeOwning}}

// TestEchoes sends messages of growing and then shrinking sizes, so that
// a reused array is both grown and read into past a shorter message.
func TestEchoes(t *testing.T) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			c := dialEcho(t, s.serve)
			for _, n := range []int{0, 1, 64, 100 << 10, 3, 0} {
				expectEcho(t, c, message(n))
			}
		})
	}
}

// TestEchoesPipelined sends several messages before reading: replies held
// back while more requests are buffered must still all arrive.
func TestEchoesPipelined(t *testing.T) {
	var burst []byte
	for _, n := range []int{0, 1, 64, 1000, 5} {
		burst = append(burst, message(n)...)
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) { expectEcho(t, dialEcho(t, s.serve), burst) })
	}
}

// TestOwningAllocates tells the floors apart by what they cost: a round
// trip through EchoOwning with an owning Caller makes a new array at each
// end, which one through Echo with a reusing Caller does not.
func TestOwningAllocates(t *testing.T) {
	perCall := func(echo func(net.Conn), owning bool) float64 {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close() })
		go echo(b)
		call := Caller(a, 4<<10, owning)
		if err := call(); err != nil { // the reused arrays made
			t.Fatal(err)
		}
		return testing.AllocsPerRun(100, func() {
			if err := call(); err != nil {
				t.Fatal(err)
			}
		})
	}
	reusing, owning := perCall(Echo, false), perCall(EchoOwning, true)
	if owning < reusing+2 {
		t.Errorf("%.0f allocations a round trip owning, %.0f reusing: want 2 more owning", owning, reusing)
	}
}
