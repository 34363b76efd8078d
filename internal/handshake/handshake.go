package handshake

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// ClientConfig configures the dialling side of a handshake.
type ClientConfig struct {
	// Key is the shared authkey; it must not be empty.
	Key []byte
	// Want is what the client asks for (FeatureSeal) and supports
	// (FeatureZstd).
	Want Features
	// MaxFrame, announced in the client hello, is the largest frame the
	// client reads, so that the server sends none larger; 0 announces none.
	MaxFrame uint32
	// ExpectID, if not zero, is the uuid of the actor the client means to
	// reach; a server announcing another is refused before the client
	// proves anything to it.
	ExpectID [16]byte
	// Deadline is the absolute time by which the whole handshake must be
	// done; the zero time means none.
	Deadline time.Time
}

// ServerConfig configures the accepting side (the actor) of a handshake.
type ServerConfig struct {
	// Key is the shared authkey; it must not be empty.
	Key []byte
	// Offer is what the server requires (FeatureSeal) and supports
	// (FeatureZstd).
	Offer Features
	// ActorID is the actor's uuid, announced in the server hello.
	ActorID [16]byte
	// KeyID is the server's id for Key, told (encrypted) only to a client
	// that proved the key.
	KeyID [KeyIDSize]byte
	// MaxFrame, announced in the server hello, is the largest frame the
	// server reads, so that the client sends none larger; 0 announces none.
	MaxFrame uint32
	// Window, announced in the server hello, is how many bytes of
	// requests of unfinished calls the server holds for the connection
	// before it stops reading calls there, so that the client keeps its
	// own within it; 0 announces none.
	Window uint32
	// Deadline is the absolute time by which the whole handshake must be
	// done; the zero time means none.
	Deadline time.Time
	// Penalty, if not nil, runs after a client's proof failed to verify and
	// before the rejection is sent: the caller's way to make wrong guesses
	// slow. The handshake deadline does not cut it short; the rejection
	// then has rejectTimeout to leave.
	Penalty func()
	// Admit, if not nil, runs once the client's proof verified and before
	// the verdict: the caller's say on whether it serves one more
	// connection. nil accepts it. An error matching ErrFull sends the
	// verdict "full", which the client can verify, and fails the handshake
	// with that error on both sides: the client then knows that the server
	// holds the key and is alive, and has no room for it. Any other error
	// ends the handshake with it, without a verdict (the client sees
	// ErrTurnedAway), as a server that is stopping does.
	Admit func() error
}

// rejectTimeout bounds writing the rejection after a Penalty.
const rejectTimeout = time.Second

// Client runs the dialling side of the handshake on conn, which it leaves
// open whatever happens; on error the caller must close it, since the
// handshake may have stopped mid-message. On success conn has no deadline.
func Client(conn net.Conn, cfg ClientConfig) (*Session, error) {
	return runClient(conn, cfg, rand.Reader)
}

// Server runs the accepting side of the handshake on conn, which it leaves
// open whatever happens; on error the caller must close it, since the
// handshake may have stopped mid-message. On success conn has no deadline.
func Server(conn net.Conn, cfg ServerConfig) (*Session, error) {
	return runServer(conn, cfg, rand.Reader)
}

// runClient is Client with the nonce source as a parameter, so that tests
// and fuzzing can replay exact transcripts.
func runClient(conn net.Conn, cfg ClientConfig, rnd io.Reader) (*Session, error) {
	mine := hello{flags: cfg.Want}
	binary.BigEndian.PutUint32(mine.frameMax[:], cfg.MaxFrame)
	priv, err := prepare(conn, cfg.Key, cfg.Want, cfg.Deadline, rnd, &mine, false)
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	var ch [ClientHelloSize]byte
	var sh [ServerHelloSize]byte
	theirs, err := exchangeHellos(conn, &mine, false, ch[:], sh[:])
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	if cfg.ExpectID != ([idSize]byte{}) && theirs.id != cfg.ExpectID {
		return nil, handshakeError(conn, fmt.Errorf("%w: want actor %x, the server is actor %x", ErrWrongActor, cfg.ExpectID, theirs.id))
	}
	proof := transcriptMAC(cfg.Key, clientLabel, &ch, &sh, nil)
	if err := writeMsg(conn, "proof", proof[:]); err != nil {
		return nil, handshakeError(conn, turnedAway(err))
	}
	var v [ServerVerdictSize]byte
	if err := readMsg(conn, "verdict", v[:]); err != nil {
		return nil, handshakeError(conn, turnedAway(err))
	}
	switch v[0] {
	case statusAccepted:
	case statusRejected:
		return nil, handshakeError(conn, fmt.Errorf("%w: the server rejected our proof (the authkeys differ)", ErrAuth))
	case statusFull:
		want := transcriptMAC(cfg.Key, fullLabel, &ch, &sh, nil)
		if !macEqual(&want, (*[ClientProofSize]byte)(v[1:])) {
			return nil, handshakeError(conn, fmt.Errorf("%w: the server's verdict \"full\" does not verify (it does not hold the authkey)", ErrAuth))
		}
		return nil, handshakeError(conn, fmt.Errorf("%w (its verdict, after our proof)", ErrFull))
	default:
		return nil, handshakeError(conn, fmt.Errorf("%w: verdict status %d", ErrProtocol, v[0]))
	}
	prk, err := sessionSecret(cfg.Key, priv, &theirs.share, &mine.nonce, &theirs.nonce)
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	keyID, err := keyIDMask(prk)
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	for i := range keyID {
		keyID[i] ^= v[1+ClientProofSize+i]
	}
	want := transcriptMAC(cfg.Key, serverLabel, &ch, &sh, keyID[:])
	if !macEqual(&want, (*[ClientProofSize]byte)(v[1:])) {
		return nil, handshakeError(conn, fmt.Errorf("%w: the server's verdict does not verify (it does not hold the authkey)", ErrAuth))
	}
	s, err := establish(conn, prk, true, agree(mine.flags, theirs.flags), theirs.id, keyID)
	if s != nil {
		s.Window = binary.BigEndian.Uint32(theirs.window[:])
		s.PeerMaxFrame = binary.BigEndian.Uint32(theirs.frameMax[:])
	}
	return s, err
}

// runServer is Server with the nonce source as a parameter, so that tests
// and fuzzing can replay exact transcripts.
func runServer(conn net.Conn, cfg ServerConfig, rnd io.Reader) (*Session, error) {
	mine := hello{flags: cfg.Offer, id: cfg.ActorID}
	binary.BigEndian.PutUint32(mine.window[:], cfg.Window)
	binary.BigEndian.PutUint32(mine.frameMax[:], cfg.MaxFrame)
	priv, err := prepare(conn, cfg.Key, cfg.Offer, cfg.Deadline, rnd, &mine, true)
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	var ch [ClientHelloSize]byte
	var sh [ServerHelloSize]byte
	theirs, err := exchangeHellos(conn, &mine, true, sh[:], ch[:])
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	var proof [ClientProofSize]byte
	if err := readMsg(conn, "proof", proof[:]); err != nil {
		return nil, handshakeError(conn, err)
	}
	var v [ServerVerdictSize]byte
	want := transcriptMAC(cfg.Key, clientLabel, &ch, &sh, nil)
	if !macEqual(&want, &proof) {
		return nil, handshakeError(conn, reject(conn, cfg.Penalty))
	}
	if cfg.Admit != nil {
		if err := cfg.Admit(); errors.Is(err, ErrFull) {
			return nil, handshakeError(conn, full(conn, cfg.Key, &ch, &sh, err))
		} else if err != nil {
			return nil, handshakeError(conn, err)
		}
	}
	// Only now: a verdict "full" derives no secret, so a server that
	// refuses one key holder after another announces one share meanwhile.
	retireServerShare(priv) // its first authenticated session: the next peer gets a fresh one
	prk, err := sessionSecret(cfg.Key, priv, &theirs.share, &theirs.nonce, &mine.nonce)
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	mask, err := keyIDMask(prk)
	if err != nil {
		return nil, handshakeError(conn, err)
	}
	v[0] = statusAccepted
	mac := transcriptMAC(cfg.Key, serverLabel, &ch, &sh, cfg.KeyID[:])
	copy(v[1:], mac[:])
	for i := range mask {
		v[1+ClientProofSize+i] = cfg.KeyID[i] ^ mask[i]
	}
	if err := writeMsg(conn, "verdict", v[:]); err != nil {
		return nil, handshakeError(conn, err)
	}
	s, err := establish(conn, prk, false, agree(theirs.flags, mine.flags), mine.id, cfg.KeyID)
	if s != nil {
		s.Window = cfg.Window
		s.PeerMaxFrame = binary.BigEndian.Uint32(theirs.frameMax[:])
	}
	return s, err
}

// reject answers a proof that did not verify, after penalty if any. It says
// so, so that a client with the wrong key gets an authentication error
// rather than a bare EOF.
func reject(conn net.Conn, penalty func()) error {
	err := fmt.Errorf("%w: the client's proof does not verify (the authkeys differ)", ErrAuth)
	if penalty != nil {
		penalty()
		conn.SetWriteDeadline(time.Now().Add(rejectTimeout))
	}
	var v [ServerVerdictSize]byte
	v[0] = statusRejected
	if werr := writeMsg(conn, "rejection", v[:]); werr != nil {
		err = fmt.Errorf("%w; %w", err, werr)
	}
	return err
}

// full tells a client whose proof verified that the server has no room for
// it (why, from Admit), in a verdict that proves the key: a peer without it
// cannot pass for a live actor that is merely full.
func full(conn net.Conn, key []byte, ch *[ClientHelloSize]byte, sh *[ServerHelloSize]byte, why error) error {
	var v [ServerVerdictSize]byte
	v[0] = statusFull
	mac := transcriptMAC(key, fullLabel, ch, sh, nil)
	copy(v[1:], mac[:])
	if err := writeMsg(conn, "verdict", v[:]); err != nil {
		return fmt.Errorf("%w; %w", why, err)
	}
	return why
}

// prepare does what both sides do before sending anything: refuse a
// configuration that cannot be right, arm the single deadline, and draw the
// nonce and the ephemeral key pair into h. A server announces the shared
// server key pair until a proof verifies under it (currentServerShare);
// tests that replay transcripts give their own rnd, which then supplies the
// key pair too.
func prepare(conn net.Conn, key []byte, f Features, deadline time.Time, rnd io.Reader, h *hello, server bool) (*ecdh.PrivateKey, error) {
	if len(key) == 0 {
		return nil, fmt.Errorf("empty authkey: %w", ErrAuth)
	}
	if f&^knownFeatures != 0 {
		return nil, fmt.Errorf("unknown feature flags %#02x configured", byte(f&^knownFeatures))
	}
	// Set once for the whole handshake: a peer that drips bytes cannot
	// extend an absolute deadline.
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(rnd, h.nonce[:]); err != nil {
		return nil, fmt.Errorf("drawing a nonce: %w", err)
	}
	var priv *ecdh.PrivateKey
	var err error
	switch {
	case rnd == rand.Reader && server:
		priv, err = currentServerShare()
	case rnd == rand.Reader:
		priv, err = spareEphemeral()
	default:
		priv, err = ephemeral(rnd)
	}
	if err != nil {
		return nil, err
	}
	copy(h.share[:], priv.PublicKey().Bytes())
	return priv, nil
}

// exchangeHellos encodes mine into sent and sends it while reading the
// peer's hello into got, then parses that. Both buffers stay the caller's:
// the transcript MACs cover them byte for byte.
func exchangeHellos(conn net.Conn, mine *hello, server bool, sent, got []byte) (hello, error) {
	peer := "server hello"
	if server {
		peer = "client hello"
	}
	mine.encode(sent, server)
	if err := crossHellos(conn, sent, got, !server); err != nil {
		return hello{}, fmt.Errorf("%s: %w", peer, err)
	}
	theirs, err := parseHello(got, !server)
	if err != nil {
		return hello{}, fmt.Errorf("%s: %w", peer, err)
	}
	return theirs, nil
}
