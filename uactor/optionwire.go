package uactor

import (
	"time"

	"github.com/uactor-go/uactor/uactor/wire"
)

// childOptions is every option that reaches a spawned child, in the order
// the bootstrap message carries them: an option that must reach the child
// is one line here (options_internal_test.go fails for one that is not).
// What is a function does not travel: see bootstrap.
var childOptions = [...]optionWire{
	stringOption(func(o *options) *string { return &o.listen }),
	stringOption(func(o *options) *string { return &o.advertise }),
	varintOption(func(o *options) *time.Duration { return &o.grace }),
	boolOption(func(o *options) *bool { return &o.serial }),
	uvarintOption(func(o *options) *sealMode { return &o.seal }),
	uvarintOption(func(o *options) *int { return &o.maxFrame }),
	varintOption(func(o *options) *time.Duration { return &o.handshake }),
	varintOption(func(o *options) *time.Duration { return &o.dialTimeout }),
	varintOption(func(o *options) *time.Duration { return &o.write }),
	varintOption(func(o *options) *time.Duration { return &o.keepalive }),
	varintOption(func(o *options) *time.Duration { return &o.spin }),
	uvarintOption(func(o *options) *int { return &o.inflight }),
	uvarintOption(func(o *options) *int { return &o.maxConns }),
	uvarintOption(func(o *options) *int { return &o.maxHS }),
	uvarintOption(func(o *options) *int { return &o.connBuffer }),
	varintOption(func(o *options) *int { return &o.compress }),
	varintOption(func(o *options) *time.Duration { return &o.callTimeout }),
}

// optionWire writes one option's field into the bootstrap, and reads it back.
type optionWire struct {
	put func(p []byte, o *options) []byte
	get func(r *wire.Reader, o *options)
}

func stringOption(f func(*options) *string) optionWire {
	return optionWire{
		func(p []byte, o *options) []byte { return wire.AppendString(p, *f(o)) },
		func(r *wire.Reader, o *options) { *f(o) = r.String() },
	}
}

func boolOption(f func(*options) *bool) optionWire {
	return optionWire{
		func(p []byte, o *options) []byte { return wire.AppendBool(p, *f(o)) },
		func(r *wire.Reader, o *options) { *f(o) = r.Bool() },
	}
}

// varintOption is for a field that may be negative.
func varintOption[T ~int | ~int64](f func(*options) *T) optionWire {
	return optionWire{
		func(p []byte, o *options) []byte { return wire.AppendVarint(p, int64(*f(o))) },
		func(r *wire.Reader, o *options) { *f(o) = T(r.Varint()) },
	}
}

// uvarintOption is for a field that validate keeps from being negative.
func uvarintOption[T ~int | ~uint8](f func(*options) *T) optionWire {
	return optionWire{
		func(p []byte, o *options) []byte { return wire.AppendUvarint(p, uint64(*f(o))) },
		func(r *wire.Reader, o *options) { *f(o) = T(r.Uvarint()) },
	}
}
