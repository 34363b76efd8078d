package uactor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"time"
)

// MaxMetadataSize bounds the metadata of one call: its pairs in their wire
// form (each key and each value with a uvarint length first), at most 8 KiB.
// A call whose context carries more fails at the caller with
// ErrMetadataTooLarge, and is not sent.
const MaxMetadataSize = 8 << 10

// ErrMetadataTooLarge is matched by the error of a call whose metadata is
// over MaxMetadataSize.
var ErrMetadataTooLarge = errors.New("uactor: call metadata over MaxMetadataSize")

// metadata is a set of key-value pairs in wire form: repeated uvarint key
// length, key, uvarint value length, value; each key once. It is immutable,
// so a context can hand it on as it is: a handler's incoming metadata goes
// out again, unchanged, with the calls the handler makes with its context.
type metadata struct{ raw string }

type metadataKey struct{}

// WithMetadata returns a copy of ctx that carries key=value to the actor
// with every call made with it, and on from that actor's handler with every
// call the handler makes with its own context. A later value for the same
// key replaces the earlier one. Keys are compared exactly (as in HTTP/2,
// lower-case names such as "traceparent" are the custom). The pairs of one
// call are bounded by MaxMetadataSize.
func WithMetadata(ctx context.Context, key, value string) context.Context {
	var b []byte
	if md := metadataOf(ctx); md != nil {
		b = make([]byte, 0, len(md.raw)+2*binary.MaxVarintLen16+len(key)+len(value))
		for k, v := range md.all() {
			if k != key {
				b = appendPair(b, k, v)
			}
		}
	}
	b = appendPair(b, key, value)
	return context.WithValue(ctx, metadataKey{}, &metadata{raw: string(b)})
}

// MetadataFrom returns the value that the caller sent for key with this
// call (in a handler), or that WithMetadata put in ctx.
func MetadataFrom(ctx context.Context, key string) (string, bool) {
	if md := metadataOf(ctx); md != nil {
		return md.get(key)
	}
	return "", false
}

// AllMetadata yields every key-value pair that MetadataFrom would find in
// ctx: for interceptors that pass metadata on (a tracing propagator's Keys).
func AllMetadata(ctx context.Context) iter.Seq2[string, string] {
	md := metadataOf(ctx)
	if md == nil {
		return func(func(string, string) bool) {}
	}
	return md.all()
}

func metadataOf(ctx context.Context) *metadata {
	md, _ := ctx.Value(metadataKey{}).(*metadata)
	return md
}

func appendPair(b []byte, k, v string) []byte {
	b = binary.AppendUvarint(b, uint64(len(k)))
	b = append(b, k...)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func (md *metadata) get(key string) (string, bool) {
	for k, v := range md.all() {
		if k == key {
			return v, true
		}
	}
	return "", false
}

// all yields the pairs; raw is well formed (built here, or checked by
// parseCallContext), so a short read just ends the walk.
func (md *metadata) all() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		s := md.raw
		for len(s) > 0 {
			k, rest, ok := cutString(s)
			if !ok {
				return
			}
			v, rest, ok := cutString(rest)
			if !ok || !yield(k, v) {
				return
			}
			s = rest
		}
	}
}

// cutString takes a uvarint-length-prefixed string off the front of s.
func cutString[S ~string | ~[]byte](s S) (v, rest S, ok bool) {
	var n uint64
	var shift uint
	k := 0
	for ; ; k++ {
		if k == len(s) || k == binary.MaxVarintLen64 {
			return v, rest, false
		}
		c := s[k]
		if k == binary.MaxVarintLen64-1 && c > 1 {
			return v, rest, false // over 64 bits, as binary.Uvarint refuses
		}
		n |= uint64(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			k++
			break
		}
	}
	if n > uint64(len(s)-k) {
		return v, rest, false
	}
	end := k + int(n)
	return s[k:end], s[end:], true
}

// The call context: what a CALL frame carries before its method name
// (PROTOCOL.md, "The CALL payload"). A call with neither costs one zero byte.
const (
	callHasDeadline = 1 << 0 // a uvarint follows: nanoseconds left when sent
	callHasMetadata = 1 << 1 // a uvarint length follows, then the pairs
	callKnownFlags  = callHasDeadline | callHasMetadata
)

// appendCallContext appends the call context of ctx to b. (A call with no
// deadline and no metadata skips it: the method's prefix supplies the zero
// flags byte.) A call whose deadline has passed, or whose metadata is over
// the bound, is an error here, before anything is sent.
func appendCallContext(b []byte, ctx context.Context) ([]byte, error) {
	dl, hasDL := ctx.Deadline()
	md := metadataOf(ctx)
	var flags byte
	at := len(b)
	b = append(b, 0)
	if hasDL {
		left := time.Until(dl)
		if left <= 0 {
			return b[:at], context.DeadlineExceeded
		}
		flags |= callHasDeadline
		b = binary.AppendUvarint(b, uint64(left))
	}
	if md != nil {
		if err := md.check(); err != nil {
			return b[:at], err
		}
		flags |= callHasMetadata
		b = binary.AppendUvarint(b, uint64(len(md.raw)))
		b = append(b, md.raw...)
	}
	b[at] = flags
	return b, nil
}

// check returns the error of a call that carries md, nil if md (nil: none)
// is within MaxMetadataSize.
func (md *metadata) check() error {
	if md != nil && len(md.raw) > MaxMetadataSize {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrMetadataTooLarge, len(md.raw), MaxMetadataSize)
	}
	return nil
}

// callContext is a received call's deadline and metadata.
type callContext struct {
	deadline time.Time // zero: none
	md       []byte    // within the frame: copy before the frame is released
}

var errCallContext = errors.New("malformed call context")

// parseCallContext takes the call context off the front of a CALL payload,
// returning the rest (method name and request).
func parseCallContext(p []byte, now time.Time) (callContext, []byte, error) {
	var cc callContext
	if len(p) == 0 || p[0]&^callKnownFlags != 0 {
		return cc, nil, errCallContext
	}
	flags := p[0]
	p = p[1:]
	if flags&callHasDeadline != 0 {
		ns, k := binary.Uvarint(p)
		if k <= 0 || ns > math.MaxInt64 {
			return cc, nil, errCallContext
		}
		cc.deadline = now.Add(time.Duration(ns))
		p = p[k:]
	}
	if flags&callHasMetadata != 0 {
		n, k := binary.Uvarint(p)
		if k <= 0 || n > MaxMetadataSize || n > uint64(len(p)-k) {
			return cc, nil, errCallContext
		}
		cc.md = p[k : k+int(n)]
		p = p[k+int(n):]
		for s := cc.md; len(s) > 0; {
			var ok bool
			if _, s, ok = cutString(s); ok {
				_, s, ok = cutString(s)
			}
			if !ok {
				return cc, nil, errCallContext
			}
		}
		if repeatsKey(cc.md) {
			cc.md = firstOfEachKey(cc.md)
		}
	}
	return cc, p, nil
}

// repeatsKey reports whether well-formed pairs name a key twice, which a
// sender that follows the protocol never does: comparing each key with
// those before it while they are few, through a map past that.
func repeatsKey(md []byte) bool {
	const few = 16
	var seen map[string]struct{}
	i := 0
	for s := md; len(s) > 0; i++ {
		k, rest, _ := cutString(s)
		_, rest, _ = cutString(rest)
		before := md[:len(md)-len(s)]
		switch {
		case i < few:
			for b := before; len(b) > 0; {
				var bk []byte
				bk, b, _ = cutString(b)
				_, b, _ = cutString(b)
				if string(bk) == string(k) {
					return true
				}
			}
		default:
			if seen == nil {
				seen = make(map[string]struct{})
				for bk := range (&metadata{raw: string(before)}).all() {
					seen[bk] = struct{}{}
				}
			}
			if _, ok := seen[string(k)]; ok {
				return true
			}
			seen[string(k)] = struct{}{}
		}
		s = rest
	}
	return false
}

// firstOfEachKey keeps the first pair of each key, as a receiver takes the
// first (PROTOCOL.md), so that a handler, its AllMetadata and the calls it
// makes see each key once.
func firstOfEachKey(md []byte) []byte {
	out := make([]byte, 0, len(md))
	seen := make(map[string]bool)
	for k, v := range (&metadata{raw: string(md)}).all() {
		if !seen[k] {
			seen[k] = true
			out = appendPair(out, k, v)
		}
	}
	return out
}
