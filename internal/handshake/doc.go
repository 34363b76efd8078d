// Package handshake performs the mutual challenge-response handshake that opens
// every uactor connection, on a shared secret (the authkey), and derives the
// session keys that seal frames afterwards.
//
// # Protocol
//
// Both sides send a fixed-size hello carrying a fresh 32-byte random nonce
// and an ephemeral X25519 public key as soon as the connection exists; the
// hellos cross, neither waits for the other's. Each hello ends with the
// largest frame its sender reads, so that the other sends none larger. The
// server's hello also announces the actor's 16-byte uuid and its request
// window (how many bytes of requests of unfinished calls it holds per
// connection before it stops reading calls, so that a client keeps within
// it). Then the client proves the key, and the server, once convinced,
// proves it back and tells the client its key id:
//
//	client -> server  ClientHello   76 bytes  magic "uAct", version 4, flags, CR LF, nonce, X25519 share, max frame
//	server -> client  ServerHello   96 bytes  magic "uAct", version 4, flags, CR LF, nonce, actor uuid, X25519 share, window, max frame
//	client -> server  ClientProof   32 bytes  HMAC-SHA256(key, transcript("uactor/2 client"))
//	server -> client  ServerVerdict 41 bytes  status (0 accepted, 1 rejected, 2 full), HMAC-SHA256(key, transcript("uactor/2 server") || key id), key id XOR mask
//
// where transcript(label) = label || 0x00 || ClientHello || ServerHello, so
// each MAC binds the role, both nonces, both shares, the version, both
// sides' flags, the uuid, the window and both maximum frames. The labels
// (this one and the verdict "full"'s, below) differ so that no MAC can pass
// for another. The key itself never crosses the wire.
//
// A server whose caller has no room for one more connection
// (ServerConfig.Admit) answers a proof that verified with the verdict
// "full" instead: status 2, HMAC-SHA256(key, transcript("uactor/4 full")),
// and a zero key id, which the client ignores. It derives no session
// secret, and the client, which verifies the MAC, fails with ErrFull: it
// knows that a key holder, alive, refused it for lack of room, not that the
// actor is gone.
//
// The agreed features are: sealing if either side asks for it (a client
// wants it, or a server requires it), zstd only if both accept it. Every
// session secret is HKDF-SHA256 over the authkey and the X25519 shared
// secret, salted with both nonces; the sealing keys (AES-256-GCM, one per
// direction) and the key id's mask are expanded from it. The ephemeral
// private keys die with the handshake, so a recording cannot be opened later
// even by someone who learns the authkey (forward secrecy).
//
// A server announces one key pair until a handshake succeeds with it, then
// a fresh one: a flood of connections that never authenticate costs no key
// generation. Handshakes that overlap the first success with a key pair may
// succeed with it too; it is gone once the last of them ends: within the
// handshake deadline, or, for one whose proof failed, once its rejection
// has left after ServerConfig.Penalty. So forward secrecy holds for each of
// their sessions.
//
// The handshake cannot avoid being an oracle for the key: whoever sees a
// proof can test guesses against it offline. Callers therefore hand it a
// stretched key (see package uactor), and may slow the answers to wrong
// proofs with ServerConfig.Penalty.
//
// # Robustness
//
// One absolute deadline covers the whole handshake, so a peer that drips
// bytes cannot extend it. Every message read before authentication has a
// fixed size and lands in a fixed array: nothing is allocated according to
// sizes the peer declares. A peer that does not speak the protocol at all (an
// HTTP or TLS endpoint, say) is reported as ErrNotUactor after its first
// bytes, instead of as a vague timeout or authentication failure.
package handshake
