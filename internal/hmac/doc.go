// Package hmac performs the mutual challenge-response handshake that opens
// every uactor connection, on a shared secret (the authkey), and derives the
// session keys that seal frames afterwards.
//
// # Protocol
//
// Both sides send a fixed-size hello carrying a fresh 32-byte random nonce
// as soon as the connection exists; the hellos cross, neither waits for the
// other's. The server's hello also announces the actor's 16-byte uuid. Then
// the client proves the key, and the server, once convinced, proves it back:
//
//	client -> server  ClientHello   40 bytes  magic "uAct", version 1, flags, 2 reserved zero bytes, nonce
//	server -> client  ServerHello   56 bytes  magic "uAct", version 1, flags, 2 reserved zero bytes, nonce, actor uuid
//	client -> server  ClientProof   32 bytes  HMAC-SHA256(key, transcript("uactor/1 client"))
//	server -> client  ServerVerdict 33 bytes  status (0 accepted, 1 rejected), HMAC-SHA256(key, transcript("uactor/1 server"))
//
// where transcript(label) = label || 0x00 || ClientHello || ServerHello, so
// each MAC binds the role, both nonces, the version, both sides' flags and
// the uuid. The two labels differ so that neither MAC can be reflected as
// the other. The key itself never crosses the wire.
//
// The agreed features are: sealing if either side asks for it (a client
// wants it, or a server requires it), zstd only if both can do it. With
// sealing, both sides derive one AES-256-GCM key per direction with HKDF-
// SHA256 from the authkey, salted with both nonces.
//
// # Robustness
//
// One absolute deadline covers the whole handshake, so a peer that drips
// bytes cannot extend it. Every message read before authentication has a
// fixed size and lands in a fixed array: nothing is allocated according to
// sizes the peer declares. A peer that does not speak the protocol at all (an
// HTTP or TLS endpoint, say) is reported as ErrNotUactor after its first
// bytes, instead of as a vague timeout or authentication failure.
package hmac
