package registry

import (
	"fmt"
	"math"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"github.com/uactor-go/uactor/uactor/wire"
)

// Defaults for the zero fields of a Config. DefaultDialTimeout is above
// TCP's first SYN retransmission (one second on Linux, RFC 6298) plus a
// round trip: a check that loses one SYN, or one SYN-ACK, on a lossy link
// still finds its actor alive, a second late.
const (
	// DefaultProbeInterval is a zero ProbeInterval: how often each entry is checked.
	DefaultProbeInterval = time.Second
	// DefaultDialTimeout is a zero DialTimeout: how long one check may take to connect.
	DefaultDialTimeout = 2500 * time.Millisecond
	// DefaultMaxEntries is a zero MaxEntries: how many entries the registry holds.
	DefaultMaxEntries = 4096
)

// MinProbeInterval is the shortest ProbeInterval New accepts.
const MinProbeInterval = 10 * time.Millisecond

// Config is the registry's spawn argument. The zero Config gives the defaults.
type Config struct {
	// ProbeInterval is how often every registered address is checked, and
	// the dead ones dropped. Zero means DefaultProbeInterval; a negative
	// interval turns the periodic probe off (Pick still checks what it hands out).
	// Probe, called on demand, runs in the same turns (see Registry.Probe).
	ProbeInterval time.Duration
	// DialTimeout bounds one liveness check's dial, and is how long an
	// actor found alive before may be refused (restarting, say) before its
	// address is dropped. Zero means DefaultDialTimeout. Below a second, one
	// lost SYN makes a live actor look dead.
	DialTimeout time.Duration
	// MaxEntries bounds how many addresses the registry holds, and so how
	// many dials one probe makes: Register refuses a call that would take
	// it past, and Register and Deregister one that names more than four
	// times as many (ErrFull). Zero means DefaultMaxEntries.
	MaxEntries int
}

// withDefaults fills in the zero fields, and refuses what makes no sense.
func (c Config) withDefaults() (Config, error) {
	if c.ProbeInterval == 0 {
		c.ProbeInterval = DefaultProbeInterval
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	switch {
	case c.ProbeInterval > 0 && c.ProbeInterval < MinProbeInterval:
		return c, fmt.Errorf("registry: ProbeInterval %v is below the minimum %v", c.ProbeInterval, MinProbeInterval)
	case c.DialTimeout < 0:
		return c, fmt.Errorf("registry: negative DialTimeout %v", c.DialTimeout)
	case c.MaxEntries < 0:
		return c, fmt.Errorf("registry: negative MaxEntries %d", c.MaxEntries)
	}
	return c, nil
}

// checkCall refuses a Register or Deregister call naming more than four
// times MaxEntries addresses, before any is read. (Four times MaxEntries
// may be past the largest int: then no call is too long.)
func (c Config) checkCall(addrs Addresses) error {
	if most := c.MaxEntries; most <= math.MaxInt/4 && len(addrs) > 4*most {
		return fmt.Errorf("%w: %d addresses in one call, of at most %d", ErrFull, len(addrs), 4*most)
	}
	return nil
}

// AppendBinary implements encoding.BinaryAppender.
func (c Config) AppendBinary(b []byte) ([]byte, error) {
	b = wire.AppendVarint(b, int64(c.ProbeInterval))
	b = wire.AppendVarint(b, int64(c.DialTimeout))
	return wire.AppendVarint(b, int64(c.MaxEntries)), nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (c *Config) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	probe, dial, most := r.Varint(), r.Varint(), r.Varint()
	if err := r.Close(); err != nil {
		return fmt.Errorf("%w: registry.Config: %w", uactor.ErrDecode, err)
	}
	if int64(int(most)) != most {
		return fmt.Errorf("%w: registry.Config: MaxEntries %d", uactor.ErrDecode, most)
	}
	*c = Config{ProbeInterval: time.Duration(probe), DialTimeout: time.Duration(dial), MaxEntries: int(most)}
	return nil
}
