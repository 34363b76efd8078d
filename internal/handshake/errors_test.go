package handshake

import (
	"strings"
	"testing"

	"github.com/uactor-go/uactor/internal/conntest"
)

// A client on a Unix socket has no address (Linux reports its unnamed end
// as "@"): the server's errors name it "peer", not "@", which reads as an
// address that is not there.
func TestUnnamedUnixPeerName(t *testing.T) {
	client, server := conntest.Unix(t)
	srv := async(func() (*Session, error) {
		return Server(server, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon()})
	})
	cli := async(func() (*Session, error) {
		return Client(client, ClientConfig{Key: []byte("another key"), Deadline: soon()})
	})
	await(t, cli)
	r := await(t, srv)
	if r.err == nil || !strings.Contains(r.err.Error(), "handshake: with peer: ") {
		t.Fatalf("the server's error for a client on a Unix socket with the wrong key: %v; want it to name the client \"peer\"", r.err)
	}
}
