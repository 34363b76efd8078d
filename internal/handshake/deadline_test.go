package handshake

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// drip writes burst to conn, then b one byte per interval until it is done,
// the conn fails, or the test ends; it also drains what arrives, so that the
// side under test is never blocked writing.
func drip(t *testing.T, conn net.Conn, burst, b []byte, interval time.Duration) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		io.Copy(io.Discard, conn)
	}()
	go func() {
		defer wg.Done()
		if _, err := conn.Write(burst); err != nil {
			return
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := range b {
			if _, err := conn.Write(b[i : i+1]); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() { close(stop); conn.Close(); wg.Wait() })
}

// validClientStream is what an honest client would send with the fixed
// nonce 0x80...; the proof matches a server using nonceSource(0x40).
func validClientStream(offer Features) []byte {
	ch := (&hello{flags: FeatureSeal, nonce: fixedNonce(0x80), share: fixedShare(0x80)}).encodeClient()
	sh := (&hello{flags: offer, nonce: fixedNonce(0x40), share: fixedShare(0x40), id: testID}).encodeServer()
	proof := transcriptMAC(testKey, clientLabel, &ch, &sh, nil)
	return append(ch[:], proof[:]...)
}

func fixedNonce(first byte) (n [nonceSize]byte) {
	io.ReadFull(nonceSource(first), n[:])
	return n
}

// The one deadline is absolute: silence and a trickle of bytes both end at
// it, whichever message the handshake is waiting for.
func TestHandshakeDeadline(t *testing.T) {
	serverHello := (&hello{nonce: fixedNonce(0x40), share: fixedShare(0x40), id: testID}).encodeServer()
	clientStream := validClientStream(0)
	cases := []struct {
		name     string
		client   bool          // which side is under test
		send     []byte        // what the peer sends
		burst    int           // how many bytes of send go at once
		interval time.Duration // then one byte per interval
	}{
		{"server/silent peer", false, nil, 0, 0},
		{"client/silent peer", true, nil, 0, 0},
		{"server/dripped hello", false, clientStream, 0, 100 * time.Millisecond},
		{"client/dripped hello", true, serverHello[:], 0, 100 * time.Millisecond},
		{"server/dripped proof", false, clientStream, ClientHelloSize, 100 * time.Millisecond},
		{"client/dripped verdict", true, append(serverHello[:], make([]byte, ServerVerdictSize)...), ServerHelloSize, 100 * time.Millisecond},
	}
	for _, tr := range transports {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				cc, sc := tr.pair(t)
				self, other := sc, cc
				if tc.client {
					self, other = cc, sc
				}
				if tc.send == nil {
					drip(t, other, nil, nil, time.Hour) // drains only
				} else {
					drip(t, other, tc.send[:tc.burst], tc.send[tc.burst:], tc.interval)
				}
				const timeout = 300 * time.Millisecond
				start := time.Now()
				deadline := start.Add(timeout)
				r := await(t, async(func() (*Session, error) {
					if tc.client {
						return Client(self, ClientConfig{Key: testKey, Deadline: deadline})
					}
					return runServer(self, ServerConfig{Key: testKey, ActorID: testID, Deadline: deadline}, nonceSource(0x40))
				}))
				elapsed := time.Since(start)
				if !errors.Is(r.err, os.ErrDeadlineExceeded) || !strings.Contains(r.err.Error(), "handshake") {
					t.Fatalf("got %v, want a handshake deadline error", r.err)
				}
				// The error says the deadline ended it; it cannot have come early.
				if elapsed < timeout-50*time.Millisecond {
					t.Errorf("returned after %v, before the %v deadline", elapsed, timeout)
				}
			})
		}
	}
}
