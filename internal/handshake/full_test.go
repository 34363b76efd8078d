package handshake

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A server whose Admit says it is full answers a proof that verified with
// the verdict "full": both sides fail with ErrFull. Admit runs only for a
// proof that verified, and an Admit that fails otherwise sends no verdict:
// the client sees the connection turned away.
func TestAdmit(t *testing.T) {
	cases := []struct {
		name       string
		clientKey  []byte
		admit      error
		want       error // the client's
		wantServer error
		admitted   int
	}{
		{"accepted", testKey, nil, nil, nil, 1},
		{"full", testKey, fmt.Errorf("%w: at the bound", ErrFull), ErrFull, ErrFull, 1},
		{"stopping", testKey, errors.New("stopping"), ErrTurnedAway, nil, 1},
		{"wrong key", []byte("wrong key"), fmt.Errorf("%w: at the bound", ErrFull), ErrAuth, ErrAuth, 0},
	}
	for _, tc := range cases {
		for _, tr := range transports {
			t.Run(tc.name+"/"+tr.name, func(t *testing.T) {
				cc, sc := tr.pair(t)
				admitted := 0
				sr := async(func() (*Session, error) {
					s, err := Server(sc, ServerConfig{Key: testKey, ActorID: testID, Deadline: soon(),
						Admit: func() error { admitted++; return tc.admit }})
					if err != nil {
						sc.Close() // as the caller must
					}
					return s, err
				})
				c := await(t, async(func() (*Session, error) {
					return Client(cc, ClientConfig{Key: tc.clientKey, Deadline: soon()})
				}))
				s := await(t, sr)
				if tc.want == nil && (c.err != nil || s.err != nil) || tc.want != nil && !errors.Is(c.err, tc.want) {
					t.Errorf("client: %v; want %v", c.err, tc.want)
				}
				if tc.wantServer != nil && !errors.Is(s.err, tc.wantServer) || tc.admit != nil && s.err == nil {
					t.Errorf("server: %v; want %v", s.err, tc.wantServer)
				}
				if admitted != tc.admitted {
					t.Errorf("Admit ran %d times; want %d", admitted, tc.admitted)
				}
			})
		}
	}
}

// A verdict "full" is believed only with its own MAC: not with an
// accepting verdict's, nor with none, so that no peer without the key can
// pass for an actor that is alive and full.
func TestFullVerdictVerifies(t *testing.T) {
	ch, sh := fuzzClientHello(), fuzzServerHello()
	for _, tc := range []struct {
		name string
		mac  []byte
		want error
	}{
		{"its MAC", macOver(fullLabel, ch, sh), ErrFull},
		{"an accepting verdict's MAC", macOver(serverLabel, ch, sh), ErrAuth},
		{"zeros", make([]byte, ClientProofSize), ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := append(append(append(bytes.Clone(sh), statusFull), tc.mac...), make([]byte, KeyIDSize)...)
			_, err := within(t, func() (*Session, error) {
				return runClient(newFeedConn(in), ClientConfig{Key: testKey, Want: FeatureSeal, MaxFrame: 0x00200000, Deadline: time.Now().Add(testTimeout)}, nonceSource(fuzzClientFirst))
			})
			if !errors.Is(err, tc.want) || tc.want == ErrAuth && errors.Is(err, ErrFull) {
				t.Fatalf("verdict full with %s: %v; want %v", tc.name, err, tc.want)
			}
		})
	}
}
