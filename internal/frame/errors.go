package frame

import "errors"

// ErrTooLarge is the errors.Is target for a frame whose body would exceed the
// maximum size; the returned error also names both sizes. The reader detects
// it from the length prefix alone, before allocating anything for the body.
//
// It is also the target for a compressed frame whose payload would
// decompress to more than an uncompressed frame may carry (a "zip bomb"),
// or that asks for a zstd window above the reader's limit. The reader
// detects a declared size or window, or the bytes its raw and RLE blocks
// must produce, from the zstd headers before allocating for them, and stops
// decoding anything else at the bound.
var ErrTooLarge = errors.New("frame: frame too large")

// ErrMalformed is the errors.Is target for a frame that breaks the wire
// format: unknown type, undefined or unagreed flags, non-zero reserved bits,
// a length too short to hold the body header, or a compressed payload that
// is not exactly one valid zstd frame.
var ErrMalformed = errors.New("frame: malformed frame")

// ErrAuthFailed is the errors.Is target for a sealed frame that fails to
// open: it was tampered with, replayed, reordered, or one before it was
// dropped. The connection can no longer be trusted and must be closed.
var ErrAuthFailed = errors.New("frame: message authentication failed")

// ErrSequenceExhausted is returned once a direction has used every sequence
// number: reusing one would reuse an AEAD nonce, so the connection must be
// closed and a new one (with new keys) established.
var ErrSequenceExhausted = errors.New("frame: sequence number exhausted")

// ErrUnwritten is the errors.Is target for a write error when no byte of
// the caller's own frame reached the connection: the Writer had failed
// before it, or the write failed before getting to it. The peer cannot
// have read any of it, so what it asked for was never done. The error
// also matches what the write failed with.
var ErrUnwritten = errors.New("frame: not written")

// ErrQueueFull is the errors.Is target for a WriteFrameNumbered whose
// context was done while it waited for room below the Writer's queue bound
// (see SetQueueBound). Nothing of its frame was queued, so none of it will
// reach the connection. The error also matches the context's error.
var ErrQueueFull = errors.New("frame: write queue full")

// ErrAbandoned is what ReadFrame returns once the Reader was abandoned
// (see Reader.Abandon).
var ErrAbandoned = errors.New("frame: reader abandoned")

// unwritten is a write error for a frame none of which was written.
type unwritten struct{ err error }

func (e unwritten) Error() string   { return e.err.Error() }
func (e unwritten) Unwrap() []error { return []error{ErrUnwritten, e.err} }
