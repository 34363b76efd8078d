// Package frame provides the length-prefixed frames that carry every message
// between uactor processes once the handshake is done.
//
// The design follows golang.org/x/net/http2's framer: a fixed header, a
// Reader and a Writer, and pooled buffers so that steady-state traffic does
// not allocate.
//
// The bytes on the wire (the header's fields, sealing with an AEAD and its
// nonces, compressed payloads and the limits a Reader enforces on them) are
// specified in section 2 of PROTOCOL.md at the root of the repository; this
// package is its implementation, and that file is the one place to change
// when the format changes.
package frame
