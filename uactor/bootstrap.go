package uactor

import (
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/uactor-go/uactor/internal/keyring"
	"github.com/uactor-go/uactor/uactor/wire"
)

// bootstrap is what a parent tells the child it spawns, over the inherited
// socketpair (never the environment or command line: it holds keys). Every
// option travels, except what is a function: interceptors come from the
// kind's declaration in the child, and a logger as its format and level.
type bootstrap struct {
	kind      string
	treeKey   []byte
	treeKeyID keyring.KeyID
	key       []byte // stretched already: the child uses it as it is
	keyID     keyring.KeyID
	opts      options
	arg       []byte
	id        uuid.UUID // the actor's identity, kept across restarts
	dir       string    // a private directory the owner made for the socket: the child removes it if the owner dies
	// kindLogger: opts.logger is the one given to Define, which the child
	// then takes from its own copy of the declaration, whole.
	kindLogger bool
	// deadline is that of the start's ctx (Spawn's, or a restart's bound),
	// which the constructor's context gets; zero: none. The child runs on
	// this machine, so it reads the same clock.
	deadline time.Time
}

const bootstrapVersion = 4

func (b *bootstrap) encode() []byte {
	p := []byte{bootstrapVersion}
	p = wire.AppendString(p, b.kind)
	p = wire.AppendBytes(p, b.treeKey)
	p = append(p, b.treeKeyID[:]...)
	p = wire.AppendBytes(p, b.key)
	p = append(p, b.keyID[:]...)
	for _, f := range childOptions {
		p = f.put(p, &b.opts)
	}
	format, level := describeLogger(b.opts.logger)
	if b.kindLogger {
		format = logKind
	}
	p = append(p, format)
	p = wire.AppendVarint(p, int64(level))
	p = wire.AppendBytes(p, b.arg)
	p = append(p, b.id[:]...)
	p = wire.AppendString(p, b.dir)
	var dl int64
	if !b.deadline.IsZero() {
		dl = b.deadline.UnixNano()
	}
	return wire.AppendVarint(p, dl)
}

func decodeBootstrap(p []byte) (*bootstrap, error) {
	if len(p) == 0 || p[0] != bootstrapVersion {
		return nil, errorf("uactor: bootstrap from a different uactor version")
	}
	r := wire.NewReader(p[1:])
	b := &bootstrap{kind: r.String(), treeKey: r.Bytes()}
	copy(b.treeKeyID[:], r.Raw(len(b.treeKeyID)))
	b.key = r.Bytes()
	copy(b.keyID[:], r.Raw(len(b.keyID)))
	for _, f := range childOptions {
		f.get(r, &b.opts)
	}
	format := r.Raw(1)
	level := slog.Level(r.Varint())
	if len(format) == 1 {
		b.kindLogger = format[0] == logKind
		b.opts.logger = childLogger(format[0], level)
	}
	b.arg = r.Bytes()
	copy(b.id[:], r.Raw(16))
	b.dir = r.String()
	if dl := r.Varint(); dl != 0 {
		b.deadline = time.Unix(0, dl)
	}
	if err := r.Close(); err != nil {
		return nil, errorf("uactor: bootstrap: %w", err)
	}
	return b, nil
}

// ready is what the child answers once it serves.
type ready struct {
	addr string // where it listens
	adv  string // what refs to it carry
	id   uuid.UUID
}

func (r ready) encode() []byte {
	p := wire.AppendString(nil, r.addr)
	p = wire.AppendString(p, r.adv)
	return append(p, r.id[:]...)
}

func decodeReady(p []byte) (ready, error) {
	rd := wire.NewReader(p)
	r := ready{addr: rd.String(), adv: rd.String()}
	copy(r.id[:], rd.Raw(16))
	if err := rd.Close(); err != nil {
		return ready{}, errorf("uactor: ready record: %w", err)
	}
	return r, nil
}
