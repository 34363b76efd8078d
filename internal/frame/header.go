package frame

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// HeaderSize is the size of a plain frame's header: the 4-byte length prefix
// followed by the BodyHeaderSize-byte body header.
const HeaderSize = 4 + BodyHeaderSize

// BodyHeaderSize is the size of the header at the start of every (plaintext)
// body: type, flags, reserved and id. It counts towards the length prefix.
const BodyHeaderSize = 12

// DefaultMaxSize is the largest body length accepted when NewReader or
// NewWriter is given a non-positive maximum. It bounds what a peer can make
// us allocate for a single frame.
const DefaultMaxSize = 16 << 20

// Type says what a frame carries.
type Type uint8

// Frame types. The zero value is deliberately invalid so that an
// uninitialised Header cannot be sent by mistake.
const (
	TypeCall   Type = 1 // a request; ID names the call
	TypeReply  Type = 2 // the successful answer to call ID
	TypeError  Type = 3 // the failed answer to call ID
	TypeCancel Type = 4 // the caller no longer wants the answer to call ID
	TypePing   Type = 5 // liveness probe; answered with TypePong and the same ID
	TypePong   Type = 6 // answer to TypePing
	TypeGoAway Type = 7 // the actor has stopped for good: sent last on a connection, with ID 0 and no payload
)

var typeNames = [...]string{
	TypeCall:   "CALL",
	TypeReply:  "REPLY",
	TypeError:  "ERROR",
	TypeCancel: "CANCEL",
	TypePing:   "PING",
	TypePong:   "PONG",
	TypeGoAway: "GOAWAY",
}

// String returns the type's name, or Type(n) for an unknown value, for
// logs and debugging.
func (t Type) String() string {
	if t.valid() {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

func (t Type) valid() bool { return t >= TypeCall && t <= TypeGoAway }

// Flags modify how a frame's payload is to be interpreted.
type Flags uint8

// FlagCompressed marks a payload that is one zstd frame. Only the Writer
// sets it, when SetCompression is on and compressing made the payload
// smaller; a Reader accepts it only when SetDecompression is on (otherwise
// the frame is malformed), and returns the payload decompressed with the
// flag cleared. See compress.go.
const FlagCompressed Flags = 1 << 0

// Header is the decoded body header of a frame. Its bytes on the wire, and
// what a reader must refuse, are specified in PROTOCOL.md, section 2.
type Header struct {
	Type  Type   // what the frame carries
	Flags Flags  // how to interpret the payload
	ID    uint64 // call id; 0 for connection-level frames
}

// check reports whether the caller of WriteFrame may send h, so that the
// writer never emits what the reader would reject. FlagCompressed is the
// Writer's to set, never the caller's.
func (h Header) check() error { return h.checkAs(false) }

// checkAs is check for a header read off the wire, where FlagCompressed is
// allowed if compressed is true.
func (h Header) checkAs(compressed bool) error {
	if !h.Type.valid() {
		return fmt.Errorf("%w: unknown type %d", ErrMalformed, uint8(h.Type))
	}
	return checkFlags(h.Flags, compressed)
}

// putBodyHeader encodes h into the first BodyHeaderSize bytes of b.
func putBodyHeader(b []byte, h Header) {
	_ = b[BodyHeaderSize-1]
	b[0] = byte(h.Type)
	b[1] = byte(h.Flags)
	b[2], b[3] = 0, 0
	binary.BigEndian.PutUint64(b[4:], h.ID)
}

// parseBodyHeader decodes and validates the first BodyHeaderSize bytes of b.
// FlagCompressed is accepted only if compressed is true.
func parseBodyHeader(b []byte, compressed bool) (Header, error) {
	_ = b[BodyHeaderSize-1]
	h := Header{Type: Type(b[0]), Flags: Flags(b[1]), ID: binary.BigEndian.Uint64(b[4:])}
	if b[2] != 0 || b[3] != 0 {
		return Header{}, fmt.Errorf("%w: reserved bits set (%#02x%02x)", ErrMalformed, b[2], b[3])
	}
	if err := h.checkAs(compressed); err != nil {
		return Header{}, err
	}
	return h, nil
}
