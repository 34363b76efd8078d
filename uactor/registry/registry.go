package registry

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/uactor-go/uactor/uactor"
	"golang.org/x/sync/singleflight"
)

// Registry is the registry actor: a set of actor addresses, handed out
// round-robin, from which dead actors are dropped (see the package doc).
// Spawn it as Kind, or make one with New and Host it. Its methods are safe
// for concurrent use.
type Registry struct {
	cfg  Config
	life context.Context // the registry's lifetime: the ctx given to New

	mu   sync.Mutex
	ring ring

	checks singleflight.Group                                                   // one dial per entry at a time
	dial   func(ctx context.Context, network, address string) (net.Conn, error) // a check's dial: tests replace it

	probeMu   sync.Mutex
	pending   *probeRun  // the probe run that has not begun its checks: Probe joins it; guarded by probeMu
	turn      sync.Mutex // held by the probe run under way; see runProbe
	lastProbe time.Time  // when the last probe run started; guarded by turn
}

// New makes a registry, and starts its periodic probe, which runs until ctx
// is done. It is the kind's constructor: a spawned registry gets a ctx that
// lasts as long as its process. To Host one, pass a ctx that you cancel when
// done with it. It fails for a Config with a ProbeInterval above zero but
// below MinProbeInterval, or a negative DialTimeout or MaxEntries (so does
// a Spawn of Kind given one).
func New(ctx context.Context, cfg Config) (*Registry, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Registry{cfg: cfg, life: ctx, dial: new(net.Dialer).DialContext}
	if cfg.ProbeInterval > 0 {
		go r.probeEvery(cfg.ProbeInterval)
	}
	return r, nil
}

// Register adds the addresses not registered yet at the end of the cycle,
// and returns how many it added. It checks every address first, and
// registers none if one is not an actor's address (ErrBadAddress), or if
// the registry would then hold more than Config.MaxEntries (ErrFull). A
// call naming more than four times MaxEntries addresses, repeats
// included, is refused with ErrFull before any is read. Register does not
// check that the actors are alive: Pick and the probe do.
//
// Addresses are kept in canonical form, so that one actor registered under
// two spellings is one entry: "host:port" becomes "tcp://host:port", IP
// literals and ports are written the standard way, host names in lower
// case, and socket paths cleaned. Deregister takes any spelling.
//
// An address of all interfaces ("tcp://0.0.0.0:port", "tcp://[::]:port")
// is kept as given, and names whichever machine dials it: the registry's
// for its checks, each client's for its calls. Give an actor that other
// machines call a host name with uactor.Advertise, and register that
// (Ref.Advertised), not the address it listens on.
func (r *Registry) Register(ctx context.Context, addrs Addresses) (int, error) {
	if err := r.cfg.checkCall(addrs); err != nil { // before anything is made for them
		return 0, err
	}
	entries := make([]entry, 0, len(addrs))
	for _, a := range addrs {
		e, err := parseEntry(a)
		if err != nil {
			return 0, err
		}
		entries = append(entries, e)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := make(map[string]bool, len(entries))
	for _, e := range entries {
		if r.ring.get(e.addr) == nil {
			fresh[e.addr] = true
		}
	}
	if held := r.ring.len(); held+len(fresh) > r.cfg.MaxEntries {
		return 0, fmt.Errorf("%w: it holds %d addresses of at most %d, and %d more are new", ErrFull, held, r.cfg.MaxEntries, len(fresh))
	}
	n := 0
	for _, e := range entries {
		if r.ring.add(e) {
			n++
		}
	}
	return n, nil
}

// Deregister removes the addresses and returns how many of them were
// registered. An address that is not an actor's cannot be registered, and
// counts as absent. A call naming more than four times MaxEntries
// addresses is refused with ErrFull, as Register's is.
func (r *Registry) Deregister(ctx context.Context, addrs Addresses) (int, error) {
	if err := r.cfg.checkCall(addrs); err != nil {
		return 0, err
	}
	// Read before the lock, which Pick and the probe wait for.
	canon := make([]string, 0, len(addrs))
	for _, s := range addrs {
		if e, err := parseEntry(s); err == nil {
			canon = append(canon, e.addr)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range canon {
		if r.ring.remove(a) {
			n++
		}
	}
	return n, nil
}

// List returns the registered addresses, in canonical form (see
// Register), in registration order.
func (r *Registry) List(ctx context.Context, _ uactor.Empty) (Addresses, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ring.addresses(), nil
}

// probeEvery probes every d until the registry's lifetime ends.
func (r *Registry) probeEvery(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-r.life.Done():
			return
		case <-t.C:
			r.Probe(r.life, uactor.Empty{})
		}
	}
}
