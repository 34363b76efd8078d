// Package frame provides the length-prefixed frames that carry every message
// between uactor processes once the handshake is done.
//
// The design follows golang.org/x/net/http2's framer: a fixed header, a
// Reader and a Writer, and pooled buffers so that steady-state traffic does
// not allocate.
//
// # Wire format
//
// Every frame is
//
//	length  uint32 big-endian   number of bytes that follow (the body); checked
//	                            against the reader's maximum before any allocation
//	body    length bytes
//
// A plain body (no AEAD) is
//
//	type     uint8              1 CALL, 2 REPLY, 3 ERROR, 4 CANCEL, 5 PING, 6 PONG, 7 GOAWAY;
//	                            any other value is an error
//	flags    uint8              bit 0 COMPRESSED; every other bit must be zero
//	reserved uint16             must be zero
//	id       uint64 big-endian  call id (0 for connection-level frames)
//	payload  length-12 bytes
//
// so a plain frame's header is HeaderSize = 16 bytes: the 4 length bytes and
// the BodyHeaderSize = 12 bytes of body header. A length below 12 is an error.
//
// Once an AEAD is installed (after the handshake) every body is sealed:
//
//	body = AEAD.Seal(nonce, plaintext, additional data)
//	       plaintext       = the 12-byte body header followed by the payload
//	       additional data = the 4 length bytes
//	       nonce           = 12 bytes: 4 zero bytes, then a uint64 big-endian
//	                         sequence number
//
// so length = 12 + len(payload) + AEAD.Overhead(). The sequence number starts
// at 0 and increases by one per frame, separately in each direction (the
// writer and the reader each keep their own). A frame that was tampered with,
// replayed, reordered or dropped therefore fails to open; the reader reports
// ErrAuthFailed and the connection must be closed. The counter never wraps:
// a side that has used 2^64-1 sequence numbers refuses to go on.
//
// # Compression
//
// When the peers agreed on compression in the handshake, the sender calls
// Writer.SetCompression and the receiver Reader.SetDecompression. A frame
// with FlagCompressed then carries, as its payload, exactly one zstd frame
// (RFC 8878) whose content is the real payload: no skippable frames, no
// dictionary, nothing after it. Compression comes before sealing, so the
// sealed plaintext is the body header followed by the zstd frame, and the
// reader opens, then decompresses. The Writer compresses a payload of at
// least the threshold bytes with zstd's fastest level and sets the flag
// only if that made it smaller; a caller cannot set the flag itself.
//
// The decompressed payload is bounded exactly as an uncompressed one is:
// 12 + its length (+ the AEAD overhead when sealed) must not exceed the
// receiver's maximum. The reader checks the zstd frame's declared content
// size, its window (at most min(maximum, 8 MiB), though 2 KiB is always
// allowed) and its block headers before allocating anything, decodes into a
// buffer no larger than the bound, and refuses a frame that would exceed it
// with ErrTooLarge. Without decompression on, a frame carrying
// FlagCompressed is malformed, as is any other flag bit.
package frame
