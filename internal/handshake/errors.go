package handshake

import "errors"

// The sentinels below are errors.Is targets. Returned errors wrap them and
// add what happened, in the form "handshake: with <peer>: ...", so the
// sentinels' own text carries no package prefix.

// ErrAuth is the errors.Is target for a failed authentication: the peer's
// MAC did not verify, the server rejected our proof (the keys differ), or the
// local authkey is empty.
var ErrAuth = errors.New("authentication failed")

// ErrNotUactor is the errors.Is target for a peer whose first bytes are not
// the uactor magic, such as an HTTP or TLS endpoint.
var ErrNotUactor = errors.New("not a uactor peer")

// ErrVersion is the errors.Is target for a peer speaking another version of
// the handshake protocol.
var ErrVersion = errors.New("unsupported protocol version")

// ErrProtocol is the errors.Is target for a uactor peer that breaks the wire
// format: unknown feature bits, a hello that does not end its first line
// where it must, an X25519 share that is not a valid or safe point, or a
// verdict status other than accepted, rejected or full.
var ErrProtocol = errors.New("protocol violation")

// ErrWrongActor is the errors.Is target for a server announcing an actor
// uuid other than the one the client expects. The client detects it before
// sending its proof.
var ErrWrongActor = errors.New("wrong actor")

// ErrTurnedAway is the errors.Is target for a peer that closed or reset the
// connection before sending a byte of its hello, or, to a client, after its
// whole hello and before its verdict. From a client's side, the actor turned
// the connection away (it is stopping, or its handshake budget was full and
// this connection made way for a newer one): another try may succeed.
var ErrTurnedAway = errors.New("the peer turned the connection away")

// ErrFull is the errors.Is target for a handshake that the server ended
// with the verdict "full": the client proved the key, and the server, which
// proved it back, serves as many connections as it allows. From a client's
// side, the actor is alive; another try may succeed once a connection
// there ends.
var ErrFull = errors.New("the server serves as many connections as it allows")
