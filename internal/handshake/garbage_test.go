package handshake

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/uactor-go/uactor/internal/conntest"
)

// randomBytes returns n reproducible random bytes that do not start with
// the magic.
func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[0] = 'x'
	return b
}

// Peers speaking other protocols are told apart from uactor peers with the
// wrong key, and turned away as soon as their first bytes arrive.
func TestServerRejectsForeignClients(t *testing.T) {
	cases := []struct {
		name string
		send []byte
	}{
		{"http", []byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")},
		{"tls", []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}},
		{"ssh", []byte("SSH-2.0-OpenSSH_9.6\r\n")},
		{"random", randomBytes(ClientHelloSize + ClientProofSize)},
		{"two bytes", []byte("GE")},
		{"near miss", []byte("uAcT")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := conntest.Pipe(t)
			startPeer(t, cc, tc.send) // stays connected: only its bytes can end the handshake
			// A deadline an hour away: a server that waited for more bytes
			// would outlast await's bound instead of returning.
			r := await(t, async(func() (*Session, error) {
				return Server(sc, ServerConfig{Key: testKey, ActorID: testID, Deadline: time.Now().Add(time.Hour)})
			}))
			if !errors.Is(r.err, ErrNotUactor) {
				t.Fatalf("got %v, want ErrNotUactor", r.err)
			}
		})
	}
}

func TestClientRejectsForeignServers(t *testing.T) {
	cases := []struct {
		name string
		send []byte
		hup  bool // the server hangs up after sending
	}{
		{"http 400", []byte("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request"), true},
		{"http short", []byte("HTTP/1.0 400\r\n\r\n"), true},
		{"tls alert", []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x0a}, true},
		{"smtp banner", []byte("220 mail.example.com ESMTP\r\n"), false},
		{"random", randomBytes(ServerHelloSize), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := conntest.TCP(t)
			if tc.hup { // it reads the client's hello first, so its close is no reset
				go func() {
					io.ReadFull(sc, make([]byte, ClientHelloSize))
					sc.Write(tc.send)
					sc.Close()
				}()
			} else {
				startPeer(t, sc, tc.send)
			}
			r := await(t, async(func() (*Session, error) {
				return Client(cc, ClientConfig{Key: testKey, Deadline: soon()})
			}))
			if !errors.Is(r.err, ErrNotUactor) {
				t.Fatalf("got %v, want ErrNotUactor", r.err)
			}
		})
	}
}

// Well-formed hellos that break the rules get their own errors.
func TestHandshakeBadHello(t *testing.T) {
	good := (&hello{nonce: fixedNonce(1), share: fixedShare(1), id: testID}).encodeServer()
	cases := []struct {
		name  string
		index int
		value byte
		want  error
	}{
		{"version 1", 4, 1, ErrVersion},
		{"version 2", 4, 2, ErrVersion},
		{"version 3", 4, 3, ErrVersion},
		{"version 5", 4, 5, ErrVersion},
		{"version 0", 4, 0, ErrVersion},
		{"unknown flag", 5, 0x80, ErrProtocol},
		{"reserved", 6, 1, ErrProtocol},
		{"reserved 2", 7, 0xff, ErrProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := good
			bad[tc.index] = tc.value
			cc, sc := conntest.Pipe(t)
			startPeer(t, sc, bad[:])
			r := await(t, async(func() (*Session, error) {
				return Client(cc, ClientConfig{Key: testKey, Deadline: soon()})
			}))
			if !errors.Is(r.err, tc.want) {
				t.Fatalf("client: %v, want %v", r.err, tc.want)
			}
			cc, sc = conntest.Pipe(t)
			startPeer(t, cc, bad[:ClientHelloSize])
			r = await(t, async(func() (*Session, error) {
				return Server(sc, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
			}))
			if !errors.Is(r.err, tc.want) {
				t.Fatalf("server: %v, want %v", r.err, tc.want)
			}
		})
	}
}

// A peer hanging up mid-handshake is an unexpected EOF, not an auth error.
func TestHandshakePeerHangsUp(t *testing.T) {
	serverHello := (&hello{nonce: fixedNonce(1), share: fixedShare(1), id: testID}).encodeServer()
	for _, n := range []int{0, 3, ServerHelloSize - 1, ServerHelloSize, ServerHelloSize + 1} {
		cc, sc := conntest.Pipe(t)
		p := startPeer(t, sc, serverHello[:min(n, ServerHelloSize)])
		go func() {
			time.Sleep(20 * time.Millisecond)
			p.conn.Close()
		}()
		r := await(t, async(func() (*Session, error) {
			return Client(cc, ClientConfig{Key: testKey, Deadline: soon()})
		}))
		if !errors.Is(r.err, io.ErrUnexpectedEOF) || errors.Is(r.err, ErrAuth) {
			t.Errorf("after %d bytes: %v, want an unexpected EOF", n, r.err)
		}
	}
}

// A server that closes or resets the connection before a byte of its hello,
// or after its whole hello and before its verdict (an actor evicting the
// connection whose proof it has waited on longest), turned the client away
// (ErrTurnedAway: a retry may succeed); one that closes partway through its
// hello did not, and one that rejects the proof did not.
func TestClientTurnedAway(t *testing.T) {
	cases := []struct {
		name    string
		send    []byte
		reset   bool
		verdict bool // the server runs its side up to the verdict, which it does not send
		turned  bool
	}{
		{"closed at once", nil, false, false, true},
		{"reset at once", nil, true, false, true},
		{"closed within its hello", magic[:3], false, false, false},
		{"closed instead of its verdict", nil, false, true, true},
		{"reset instead of its verdict", nil, true, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := conntest.TCP(t)
			hangUp := func() {
				if tc.reset {
					sc.(*net.TCPConn).SetLinger(0)
				}
				sc.Close()
			}
			go func() {
				if tc.verdict {
					Server(hangUpAtVerdict{sc, hangUp}, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
					return
				}
				io.ReadFull(sc, make([]byte, ClientHelloSize)) // the client's hello is in: the close is the answer
				sc.Write(tc.send)
				hangUp()
			}()
			r := await(t, async(func() (*Session, error) {
				return Client(cc, ClientConfig{Key: testKey, Deadline: time.Now().Add(time.Hour)})
			}))
			if r.err == nil || errors.Is(r.err, ErrTurnedAway) != tc.turned {
				t.Fatalf("got %v; want an error that is ErrTurnedAway: %v", r.err, tc.turned)
			}
		})
	}
	t.Run("rejected", func(t *testing.T) {
		cc, sc := conntest.TCP(t)
		c, _ := handshake(t, cc, sc, ClientConfig{Key: []byte("another key"), Deadline: soon()},
			ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
		if !errors.Is(c.err, ErrAuth) || errors.Is(c.err, ErrTurnedAway) {
			t.Fatalf("got %v; want ErrAuth, not ErrTurnedAway", c.err)
		}
	})
}

// A server that sends its whole hello and hangs up before it reads the
// client's (an actor evicting a connection whose hello had not come) has
// turned the client away however the close shows: on a Unix socket the
// client's own hello fails to leave (EPIPE), after the server's arrived.
func TestClientTurnedAwayBeforeItsHelloLeft(t *testing.T) {
	cc, sc := conntest.Unix(t)
	h := hello{id: testID}
	sh := h.encodeServer()
	if _, err := sc.Write(sh[:]); err != nil {
		t.Fatal(err)
	}
	sc.Close()
	_, err := Client(cc, ClientConfig{Key: testKey, Deadline: soon()})
	if !errors.Is(err, ErrTurnedAway) {
		t.Fatalf("got %v; want ErrTurnedAway", err)
	}
}

// hangUpAtVerdict is a server's conn that hangs up where it would send its
// verdict, the only message of that size.
type hangUpAtVerdict struct {
	net.Conn
	hangUp func()
}

func (c hangUpAtVerdict) Write(b []byte) (int, error) {
	if len(b) == ServerVerdictSize {
		c.hangUp()
		return 0, net.ErrClosed
	}
	return c.Conn.Write(b)
}

// A peer of version 3, whose hellos are 4 bytes shorter, sends its hello,
// waits for the other's (of its own size) and hangs up at the version:
// each side is told of the other's version, not of a reset.
func TestHandshakeVersion3Peer(t *testing.T) {
	const v3Client, v3Server = 72, 92
	for _, tc := range []struct {
		name       string
		peerServes bool // the version 3 peer is the server
	}{{"v3 server", true}, {"v3 client", false}} {
		t.Run(tc.name, func(t *testing.T) {
			cc, sc := conntest.TCP(t)
			peer, ours := cc, sc
			ch := (&hello{nonce: fixedNonce(1), share: fixedShare(1)}).encodeClient()
			h, reads := ch[:v3Client], v3Server
			if tc.peerServes {
				peer, ours = sc, cc
				sh := (&hello{nonce: fixedNonce(1), share: fixedShare(1), id: testID}).encodeServer()
				h, reads = sh[:v3Server], v3Client
			}
			h[4] = 3
			go func() {
				peer.Write(h)
				io.ReadFull(peer, make([]byte, reads))
				peer.Close()
			}()
			r := await(t, async(func() (*Session, error) {
				if tc.peerServes {
					return Client(ours, ClientConfig{Key: testKey, Deadline: soon()})
				}
				return Server(ours, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
			}))
			if !errors.Is(r.err, ErrVersion) {
				t.Fatalf("the version 4 side: %v, want ErrVersion", r.err)
			}
		})
	}
}
