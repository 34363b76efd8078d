package handshake

import (
	"bytes"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/uactor-go/uactor/internal/conntest"
)

// A full client transcript recorded from a successful session is useless
// against a new connection: the server's nonce is fresh.
func TestReplayRejected(t *testing.T) {
	cc, sc := conntest.Pipe(t)
	rec := &recordingConn{Conn: cc}
	c, s := handshake(t, rec, sc,
		ClientConfig{Key: testKey, Want: FeatureSeal, Deadline: soon()},
		ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
	if c.err != nil || s.err != nil {
		t.Fatalf("recording: client %v; server %v", c.err, s.err)
	}
	recorded := rec.written()
	if len(recorded) != ClientHelloSize+ClientProofSize {
		t.Fatalf("recorded %d bytes", len(recorded))
	}

	cc, sc = conntest.Pipe(t)
	p := startPeer(t, cc, recorded)
	r := await(t, async(func() (*Session, error) {
		return Server(sc, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
	}))
	if !errors.Is(r.err, ErrAuth) {
		t.Fatalf("replay: server %v, want ErrAuth", r.err)
	}
	got := p.received(t)
	if len(got) != ServerHelloSize+ServerVerdictSize || got[ServerHelloSize] != statusRejected {
		t.Errorf("replay: the server answered %x, want its hello and a rejection", got)
	}
}

// A server-role MAC never passes as a client proof (a man in the middle who
// got hold of one, for instance from a verdict, cannot log in with it)...
func TestReflectedVerdictRejected(t *testing.T) {
	cc, sc := conntest.Pipe(t)
	ch := (&hello{nonce: fixedNonce(7), share: fixedShare(7)}).encodeClient()
	sr := async(func() (*Session, error) {
		return runServer(sc, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()}, nonceSource(0x40))
	})
	sh := (&hello{nonce: fixedNonce(0x40), share: fixedShare(0x40), id: testID}).encodeServer()
	verdictMAC := transcriptMAC(testKey, serverLabel, &ch, &sh, nil)
	p := startPeer(t, cc, append(ch[:], verdictMAC[:]...))
	if r := await(t, sr); !errors.Is(r.err, ErrAuth) {
		t.Fatalf("server: %v, want ErrAuth", r.err)
	}
	p.received(t)
}

// ...and a fake server that reflects the client's own proof as its verdict
// does not convince the client.
func TestReflectedProofRejected(t *testing.T) {
	cc, sc := conntest.Pipe(t)
	sh := (&hello{nonce: fixedNonce(0x40), share: fixedShare(0x40), id: testID}).encodeServer()
	fake := async(func() (*Session, error) {
		if _, err := sc.Write(sh[:]); err != nil {
			return nil, err
		}
		var in [ClientHelloSize + ClientProofSize]byte
		if err := readMsg(sc, "client stream", in[:]); err != nil {
			return nil, err
		}
		_, err := sc.Write(append(append([]byte{statusAccepted}, in[ClientHelloSize:]...), make([]byte, KeyIDSize)...))
		return nil, err
	})
	c := await(t, async(func() (*Session, error) {
		return Client(cc, ClientConfig{Key: testKey, Deadline: soon()})
	}))
	if !errors.Is(c.err, ErrAuth) {
		t.Fatalf("client: %v, want ErrAuth", c.err)
	}
	if r := await(t, fake); r.err != nil {
		t.Fatalf("fake server: %v", r.err)
	}
}

// relay forwards both directions between client and server, xoring flip[i] into the
// byte at offset i of the client-to-server (c2s) or server-to-client (s2c)
// stream. It stops when either side closes.
func relay(t *testing.T, client, server net.Conn, c2s, s2c map[int]byte) {
	var wg sync.WaitGroup
	pump := func(dst, src net.Conn, flip map[int]byte) {
		defer wg.Done()
		defer dst.Close()
		defer src.Close()
		var buf [64]byte
		for off := 0; ; {
			n, err := src.Read(buf[:])
			for i := range n {
				buf[i] ^= flip[off+i]
			}
			off += n
			if _, werr := dst.Write(buf[:n]); werr != nil || err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump(server, client, c2s)
	go pump(client, server, s2c)
	t.Cleanup(func() { client.Close(); server.Close(); wg.Wait() })
}

// Every byte of both hellos is bound into the MACs: a man in the middle who
// changes one (to downgrade sealing, say) breaks the handshake for both.
func TestTranscriptBinding(t *testing.T) {
	const (
		flags = 5
		nonce = headerSize
		uuid  = headerSize + nonceSize
	)
	cases := []struct {
		name     string
		c2s, s2c map[int]byte
	}{
		{"untouched", nil, nil},
		{"client seal flag", map[int]byte{flags: byte(FeatureSeal)}, nil},
		{"client zstd flag", map[int]byte{flags: byte(FeatureZstd)}, nil},
		{"server seal flag", nil, map[int]byte{flags: byte(FeatureSeal)}},
		{"server zstd flag", nil, map[int]byte{flags: byte(FeatureZstd)}},
		{"uuid first byte", nil, map[int]byte{uuid: 0xff}},
		{"uuid last byte", nil, map[int]byte{uuid + idSize - 1: 0x01}},
		{"client nonce", map[int]byte{nonce + 3: 0x10}, nil},
		{"server nonce", nil, map[int]byte{nonce + nonceSize - 1: 0x80}},
		{"client X25519 share", map[int]byte{nonce + nonceSize + 5: 0x01}, nil},
		{"server X25519 share", nil, map[int]byte{uuid + idSize + shareSize - 1: 0x01}},
		{"server window", nil, map[int]byte{uuid + idSize + shareSize: 0x7f}},
		{"client max frame", map[int]byte{ClientHelloSize - 1: 0x01}, nil},
		{"server max frame", nil, map[int]byte{ServerHelloSize - 2: 0x01}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc, mc := conntest.Pipe(t)
			ms, sc := conntest.Pipe(t)
			relay(t, mc, ms, tc.c2s, tc.s2c)
			c, s := handshake(t, cc, sc,
				ClientConfig{Key: testKey, Want: FeatureSeal, MaxFrame: 3 << 20, Deadline: soon()},
				ServerConfig{Key: testKey, Offer: FeatureZstd, ActorID: testID, Window: 1 << 20, MaxFrame: 5 << 20, Deadline: soon()})
			if tc.c2s == nil && tc.s2c == nil {
				if c.err != nil || s.err != nil {
					t.Fatalf("untouched relay: client %v; server %v", c.err, s.err)
				}
				if c.s.Window != 1<<20 || s.s.Window != 1<<20 {
					t.Fatalf("window: client has %d, server %d; want %d", c.s.Window, s.s.Window, 1<<20)
				}
				if c.s.PeerMaxFrame != 5<<20 || s.s.PeerMaxFrame != 3<<20 {
					t.Fatalf("peers' max frames: client has %d, server %d; want %d and %d", c.s.PeerMaxFrame, s.s.PeerMaxFrame, 5<<20, 3<<20)
				}
				return
			}
			if !errors.Is(c.err, ErrAuth) {
				t.Errorf("client: %v, want ErrAuth", c.err)
			}
			if !errors.Is(s.err, ErrAuth) {
				t.Errorf("server: %v, want ErrAuth", s.err)
			}
		})
	}
}

// The labels really differ in the MAC input, and the layout is exactly
// label, zero byte, client hello, server hello.
func TestTranscriptLayout(t *testing.T) {
	ch := (&hello{flags: FeatureSeal, nonce: fixedNonce(1), share: fixedShare(1)}).encodeClient()
	sh := (&hello{flags: FeatureZstd, nonce: fixedNonce(2), share: fixedShare(2), id: testID}).encodeServer()
	c := transcriptMAC(testKey, clientLabel, &ch, &sh, nil)
	s := transcriptMAC(testKey, serverLabel, &ch, &sh, nil)
	if c == s {
		t.Fatal("client and server MACs are equal")
	}
	var manual bytes.Buffer
	manual.WriteString("uactor/2 client\x00")
	manual.Write(ch[:])
	manual.Write(sh[:])
	if want := referenceMAC(testKey, manual.Bytes()); !bytes.Equal(c[:], want) {
		t.Errorf("client MAC %x, want %x", c, want)
	}
}
